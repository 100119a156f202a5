package org.clinlora.platform.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CLINLORA_S3_CA_FILE: the store's client trusts the CA in that file, and only it. Against an https server whose
 * certificate a CA of this test signed (made with the JDK's keytool, as infra's TLS mode makes its own), answering
 * every request with 200: the bucket check passes with that CA, fails the TLS handshake with the JVM's default trust or
 * with another CA, and a missing file or a CA beside an http endpoint is refused before anything is sent.
 */
class S3ClientsTest {
    private static final String PASSWORD = "throwaway-test-password";

    @TempDir
    static Path dir;

    static HttpsServer server;
    static String endpoint;

    @BeforeAll
    static void serve() throws Exception {
        ca("ca");
        ca("other-ca");
        serverCertificate();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve("server.p12"))) {
            ks.load(in, PASSWORD.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD.toCharArray());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), null, null);
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.createContext("/", x -> {
            x.sendResponseHeaders(200, -1);
            x.close();
        });
        server.start();
        endpoint = "https://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterAll
    static void stop() {
        if (server != null) server.stop(0);
    }

    static S3Settings settings(String endpoint, Path caFile) {
        return new S3Settings(
                endpoint,
                "minioadmin",
                "minioadmin",
                "us-east-1",
                "clinlora",
                caFile == null ? null : caFile.toString());
    }

    @Test
    void theCaFileIsTrustedAndOnlyIt() {
        assertTrue(new ObjectStore(settings(endpoint, dir.resolve("ca.crt"))).bucketExists(), "trusted: the CA file");
        for (Path other : new Path[] {null, dir.resolve("other-ca.crt")}) {
            ObjectStore.StoreException e = assertThrows(
                    ObjectStore.StoreException.class,
                    () -> new ObjectStore(settings(endpoint, other)).bucketExists(),
                    "refused with " + (other == null ? "the JVM's default trust" : "another CA"));
            assertTrue(
                    causes(e).stream().anyMatch(c -> c instanceof SSLException || c instanceof CertificateException),
                    "the server's certificate is not trusted: " + causes(e));
            assertTrue(e.getMessage().contains("certificat"), "and the message says so: " + e.getMessage());
        }
    }

    @Test
    void aMissingOrWrongCaFileAndACaForPlainHttpAreRefusedAtOnce() throws IOException {
        IllegalStateException missing = assertThrows(
                IllegalStateException.class, () -> new ObjectStore(settings(endpoint, dir.resolve("nope.crt"))));
        assertTrue(missing.getMessage().contains("CLINLORA_S3_CA_FILE")
                && missing.getMessage().contains("nope.crt"));
        assertTrue(missing.getMessage().endsWith("no such file"), missing.getMessage());
        Path empty = Files.writeString(dir.resolve("empty.crt"), "not a certificate\n");
        IllegalStateException wrong =
                assertThrows(IllegalStateException.class, () -> new ObjectStore(settings(endpoint, empty)));
        assertTrue(wrong.getMessage().contains("empty.crt"), wrong.getMessage());
        IllegalArgumentException http = assertThrows(
                IllegalArgumentException.class, () -> settings("http://127.0.0.1:9000", dir.resolve("ca.crt")));
        assertTrue(http.getMessage().contains("is not https"), http.getMessage());
        assertEquals(null, settings("https://minio:9000", null).caFile(), "no CA file: the default trust");
        assertEquals(null, new S3Settings("https://m", "a", "b", "r", "clinlora", " ").caFile(), "blank is none");
    }

    private static List<Throwable> causes(Throwable t) {
        List<Throwable> out = new ArrayList<>();
        for (Throwable c = t; c != null && !out.contains(c); c = c.getCause()) out.add(c);
        return out;
    }

    /** A self-signed CA {@code name}: its key in {@code name.p12}, its certificate in {@code name.crt} (PEM). */
    private static void ca(String name) throws Exception {
        keytool(
                "-genkeypair",
                "-keystore",
                name + ".p12",
                "-alias",
                "ca",
                "-keyalg",
                "EC",
                "-validity",
                "2",
                "-dname",
                "CN=clinlora test " + name,
                "-ext",
                "bc:c");
        keytool("-exportcert", "-keystore", name + ".p12", "-alias", "ca", "-rfc", "-file", name + ".crt");
    }

    /** The server's key and its certificate for 127.0.0.1, signed by {@code ca}, in {@code server.p12}. */
    private static void serverCertificate() throws Exception {
        keytool(
                "-genkeypair",
                "-keystore",
                "server.p12",
                "-alias",
                "server",
                "-keyalg",
                "EC",
                "-validity",
                "2",
                "-dname",
                "CN=127.0.0.1");
        keytool("-certreq", "-keystore", "server.p12", "-alias", "server", "-file", "server.csr");
        keytool(
                "-gencert",
                "-keystore",
                "ca.p12",
                "-alias",
                "ca",
                "-infile",
                "server.csr",
                "-outfile",
                "server.crt",
                "-rfc",
                "-validity",
                "2",
                "-ext",
                "san=ip:127.0.0.1");
        keytool("-importcert", "-keystore", "server.p12", "-alias", "ca", "-file", "ca.crt", "-noprompt");
        keytool("-importcert", "-keystore", "server.p12", "-alias", "server", "-file", "server.crt");
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                PASSWORD));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "keytool finishes");
        assertEquals(0, p.exitValue(), "keytool " + String.join(" ", args) + ":\n" + out);
    }
}
