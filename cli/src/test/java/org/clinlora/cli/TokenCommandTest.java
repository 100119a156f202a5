package org.clinlora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Base64;
import org.clinlora.platform.auth.Jwts;
import org.junit.jupiter.api.Test;

/** {@code ./clinlora token}: the issuer the services verify, the local one by default or the one given. */
class TokenCommandTest {
    static JsonNode claims(String jwt) throws Exception {
        return new ObjectMapper()
                .readTree(Base64.getUrlDecoder().decode(jwt.strip().split("\\.")[1]));
    }

    @Test
    void theDefaultIssuerIsTheLocalServicesOne() throws Exception {
        MainTest.Outcome r = MainTest.run("token", "--role", "scorer-client");
        assertEquals(0, r.code(), r.err());
        JsonNode c = claims(r.out());
        assertEquals(Jwts.DEV_ISSUER, c.path("iss").asText());
        assertEquals(
                Jwts.AUDIENCE,
                c.path("aud").isArray()
                        ? c.path("aud").get(0).asText()
                        : c.path("aud").asText());
    }

    @Test
    void issuerGivesTheTokenTheIssuerAClusterVerifies() throws Exception {
        String iss = "https://auth.hospital.example/realms/clinlora";
        MainTest.Outcome r = MainTest.run("token", "--role", "trainer", "--issuer", iss, "--ttl", "10m");
        assertEquals(0, r.code(), r.err());
        JsonNode c = claims(r.out());
        assertEquals(iss, c.path("iss").asText());
        assertEquals("trainer", c.path("groups").get(0).asText());
        assertEquals(600, c.path("exp").asLong() - c.path("iat").asLong());
    }

    @Test
    void aBlankIssuerIsOneLineAndExitCode2() {
        MainTest.Outcome r = MainTest.run("token", "--role", "trainer", "--issuer", " ");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--issuer is the services' CLINLORA_JWT_ISSUER"), r.err());
    }

    @Test
    void helpSaysWhatTheIssuerIsFor() {
        MainTest.Outcome r = MainTest.run("token", "--help");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("--issuer=URL"), r.out());
        assertTrue(r.out().contains("CLINLORA_JWT_ISSUER"), r.out());
        assertTrue(r.out().contains("dev overlay"), r.out());
    }
}
