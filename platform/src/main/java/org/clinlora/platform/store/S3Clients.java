package org.clinlora.platform.store;

import io.minio.Http;
import io.minio.MinioClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.OkHttpClient;

/**
 * The one place the object store's client is built. With a CA file ({@code clinlora.s3.ca-file}, CLINLORA_S3_CA_FILE;
 * in Kubernetes the {@code ca.crt} of Secret {@code clinlora-minio-tls}) the client trusts the certificates in that
 * file and nothing else, for this client only: the JVM-wide trust that Kafka, the identity provider's JWKS and the
 * other HTTP clients rely on stays as it is. Without one, the MinIO client's default (the JVM's trust store).
 */
public final class S3Clients {
    private S3Clients() {}

    public static MinioClient minio(S3Settings s) {
        MinioClient.Builder b = MinioClient.builder()
                .endpoint(s.endpoint())
                .credentials(s.accessKey(), s.secretKey())
                .region(s.region());
        if (s.caFile() != null) b.httpClient(trusting(Http.newDefaultClient(), Path.of(s.caFile())));
        return b.build();
    }

    /** {@code base} trusting only the CA certificates of the PEM file {@code caFile}; fails naming the file. */
    static OkHttpClient trusting(OkHttpClient base, Path caFile) {
        X509TrustManager trust = trustManager(caFile);
        try {
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, new TrustManager[] {trust}, null);
            return base.newBuilder()
                    .sslSocketFactory(tls.getSocketFactory(), trust)
                    .build();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("TLS for the object store: " + e.getMessage(), e);
        }
    }

    static X509TrustManager trustManager(Path caFile) {
        String what = "clinlora.s3.ca-file (CLINLORA_S3_CA_FILE) " + caFile;
        try (InputStream in = Files.newInputStream(caFile)) {
            Collection<? extends Certificate> certs =
                    CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certs.isEmpty()) throw new IllegalStateException(what + " holds no PEM certificate");
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate c : certs) store.setCertificateEntry("s3-ca-" + i++, c);
            TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            f.init(store);
            for (TrustManager t : f.getTrustManagers()) if (t instanceof X509TrustManager x) return x;
            throw new IllegalStateException(what + ": no X.509 trust manager");
        } catch (NoSuchFileException e) {
            throw new IllegalStateException(what + ": no such file", e);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(what + " is not a readable PEM certificate: " + e.getMessage(), e);
        }
    }
}
