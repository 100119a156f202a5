package org.clinlora.platform.auth;

import io.smallrye.jwt.algorithm.SignatureAlgorithm;
import io.smallrye.jwt.build.Jwt;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.jwt.Claims;

/**
 * A development token issuer: an RSA key pair in PEM files and RS256 JWTs (built and signed by smallrye-jwt-build) with
 * the claims the services verify (issuer, audience, expiry, {@code groups} for roles). In production an identity
 * provider issues the tokens and the services only hold its public key; this class is for the local launcher, the demo
 * and the tests.
 */
public final class Jwts {
    public static final String DEV_ISSUER = "https://clinlora.local/dev";
    public static final String AUDIENCE = "clinlora";
    public static final String PRIVATE_KEY = "jwt-private.pem", PUBLIC_KEY = "jwt-public.pem";

    private final PrivateKey privateKey;
    private final String issuer;

    public Jwts(PrivateKey privateKey, String issuer) {
        this.privateKey = privateKey;
        this.issuer = issuer;
    }

    /** The key pair in {@code dir}, made (2048-bit RSA, private key readable by the owner only) when absent. */
    public static Jwts devIssuer(Path dir) throws IOException {
        Path priv = dir.resolve(PRIVATE_KEY), pub = dir.resolve(PUBLIC_KEY);
        if (!Files.exists(priv) || !Files.exists(pub)) {
            Files.createDirectories(dir);
            KeyPair kp;
            try {
                KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                g.initialize(2048);
                kp = g.generateKeyPair();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
            writeAtomically(pub, pem("PUBLIC KEY", kp.getPublic().getEncoded()), false);
            writeAtomically(priv, pem("PRIVATE KEY", kp.getPrivate().getEncoded()), true);
        }
        return new Jwts(readPrivateKey(priv), DEV_ISSUER);
    }

    /**
     * A signed token: {@code sub}, {@code groups} (roles), {@code iss}, {@code aud}, {@code iat}, {@code exp},
     * {@code jti}.
     */
    public String mint(String subject, List<String> groups, Duration ttl) {
        return mint(subject, groups, Instant.now(), ttl, issuer, AUDIENCE);
    }

    /** Every claim chosen by the caller (tests mint expired tokens and tokens of other issuers and audiences). */
    public String mint(String subject, List<String> groups, Instant issuedAt, Duration ttl, String iss, String aud) {
        return Jwt.issuer(iss)
                .audience(aud)
                .subject(subject)
                .upn(subject)
                .groups(new LinkedHashSet<>(groups))
                .issuedAt(issuedAt)
                .expiresAt(issuedAt.plus(ttl))
                .claim(Claims.jti.name(), UUID.randomUUID().toString())
                .jws()
                .algorithm(SignatureAlgorithm.RS256)
                .header("typ", "JWT")
                .sign(privateKey);
    }

    public static PrivateKey readPrivateKey(Path pem) throws IOException {
        try {
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(derOf(pem, "PRIVATE KEY")));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(pem + ": not a PKCS#8 RSA private key");
        }
    }

    public static PublicKey readPublicKey(Path pem) throws IOException {
        try {
            return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(derOf(pem, "PUBLIC KEY")));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(pem + ": not an X.509 RSA public key");
        }
    }

    private static byte[] derOf(Path pem, String type) throws IOException {
        String text = Files.readString(pem);
        int begin = text.indexOf("-----BEGIN " + type + "-----"), end = text.indexOf("-----END " + type + "-----");
        if (begin < 0 || end < begin) throw new IllegalArgumentException(pem + ": no " + type + " block");
        return Base64.getMimeDecoder().decode(text.substring(begin + type.length() + 16, end));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    private static void writeAtomically(Path file, String text, boolean ownerOnly) throws IOException {
        Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp");
        if (ownerOnly) {
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
        }
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
