package org.clinlora.platform.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The development issuer: a key pair made once in a new folder, and RS256 tokens any JWT library verifies. */
class JwtsTest {
    @TempDir
    Path dir;

    @Test
    void aTokenIsSignedWithThePrivateKeyAndCarriesTheClaimsTheServicesCheck() throws Exception {
        Path auth = dir.resolve("not/yet/there");
        Jwts issuer = Jwts.devIssuer(auth);
        assertEquals(
                "rw-------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(auth.resolve(Jwts.PRIVATE_KEY))),
                "the private key is the owner's alone");
        String token = issuer.mint("alice", List.of(Roles.TRAINER), Duration.ofMinutes(10));
        String[] parts = token.split("\\.");
        assertEquals(3, parts.length);
        ObjectMapper json = new ObjectMapper();
        assertEquals(
                "RS256",
                json.readTree(Base64.getUrlDecoder().decode(parts[0]))
                        .path("alg")
                        .asText());
        JsonNode claims = json.readTree(Base64.getUrlDecoder().decode(parts[1]));
        assertEquals(Jwts.DEV_ISSUER, claims.path("iss").asText());
        assertEquals(Jwts.AUDIENCE, claims.path("aud").asText());
        assertEquals("alice", claims.path("sub").asText());
        assertEquals(Roles.TRAINER, claims.path("groups").get(0).asText());
        long now = Instant.now().getEpochSecond();
        assertTrue(Math.abs(claims.path("exp").asLong() - (now + 600)) < 5, "expires in ten minutes");
        Signature s = Signature.getInstance("SHA256withRSA");
        s.initVerify(Jwts.readPublicKey(auth.resolve(Jwts.PUBLIC_KEY)));
        s.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
        assertTrue(s.verify(Base64.getUrlDecoder().decode(parts[2])), "the public key verifies the signature");
        // The same folder gives the same key: tokens minted later verify against the key the services loaded.
        String later = Jwts.devIssuer(auth).mint("bob", List.of(), Duration.ofMinutes(1));
        String[] p2 = later.split("\\.");
        s.initVerify(Jwts.readPublicKey(auth.resolve(Jwts.PUBLIC_KEY)));
        s.update((p2[0] + "." + p2[1]).getBytes(StandardCharsets.US_ASCII));
        assertTrue(s.verify(Base64.getUrlDecoder().decode(p2[2])));
    }
}
