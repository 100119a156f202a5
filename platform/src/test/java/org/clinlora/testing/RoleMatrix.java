package org.clinlora.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.restassured.RestAssured;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.clinlora.platform.auth.Jwts;
import org.clinlora.platform.auth.Roles;

/**
 * The authorization contract of a service's REST API, checked call by call: each endpoint with no token (401), with
 * each role alone (allowed, or 403), and with tokens that are bad in every way a token can be (401). Allowed means the
 * call got past security — whatever the endpoint then says about the (deliberately useless) request.
 */
public final class RoleMatrix {
    /** Any valid token, whatever its roles (reading the registry). */
    public static final Set<String> ANY_ROLE = Set.of("*");

    public record Call(String method, String path, String contentType, String body, Set<String> allowed) {
        public static Call of(String method, String path, Set<String> allowed) {
            return new Call(method, path, null, null, allowed);
        }

        public static Call json(String method, String path, String body, Set<String> allowed) {
            return new Call(method, path, "application/json", body, allowed);
        }

        boolean allows(String role) {
            return allowed == ANY_ROLE || allowed.contains(role);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private RoleMatrix() {}

    static String base() {
        return RestAssured.baseURI + ":" + RestAssured.port;
    }

    public static HttpResponse<String> send(Call c, String token) {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(base() + c.path())).timeout(Duration.ofSeconds(30));
        if (token != null)
            b.header(
                    "Authorization",
                    token.startsWith("Bearer ") || token.startsWith("Basic ") ? token : "Bearer " + token);
        if (c.contentType() != null) b.header("Content-Type", c.contentType());
        b.method(
                c.method(),
                c.body() == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(c.body()));
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError(c.method() + " " + c.path() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * Every call × (no token, each role alone), and health, metrics and OpenAPI open without a token; prints the count.
     */
    public static void check(String service, List<Call> calls) {
        openWithoutToken("/q/health/ready", "/q/health/live", "/q/metrics", "/q/openapi");
        int checked = 0;
        for (Call c : calls) {
            String what = c.method() + " " + c.path();
            assertError(send(c, null), 401, "unauthorized", what + " without a token");
            checked++;
            for (String role : Roles.ALL) {
                HttpResponse<String> r = send(c, TestAuth.token(role));
                if (c.allows(role)) {
                    assertNotEquals(401, r.statusCode(), what + " as " + role + ": " + r.body());
                    assertNotEquals(403, r.statusCode(), what + " as " + role + " is allowed: " + r.body());
                    assertTrue(
                            r.statusCode() < 500,
                            what + " as " + role + " answered " + r.statusCode() + ": " + r.body());
                } else {
                    assertError(r, 403, "forbidden", what + " as " + role);
                }
                checked++;
            }
        }
        System.out.printf(
                "%s role matrix: %d endpoints x (no token + %d roles) = %d calls checked%n",
                service, calls.size(), Roles.ALL.size(), checked);
    }

    /** Tokens that must never get in: each is refused with 401 on a call the all-roles token may make. */
    public static void badTokens(Call c) throws IOException {
        Jwts ours = TestAuth.issuer();
        Path otherDir = Files.createTempDirectory("clinlora-other-key");
        Jwts stranger = Jwts.devIssuer(otherDir);
        List<String> all = Roles.ALL;
        String good = ours.mint("u", all, Duration.ofMinutes(5));
        String[] parts = good.split("\\.");
        String unsignedNone =
                Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes())
                        + "." + parts[1] + ".";
        List<String[]> cases = new ArrayList<>();
        cases.add(new String[] {
            "expired",
            ours.mint(
                    "u",
                    all,
                    Instant.now().minus(Duration.ofHours(2)),
                    Duration.ofHours(1),
                    Jwts.DEV_ISSUER,
                    Jwts.AUDIENCE)
        });
        // Each time check would let its token in if its setting were ignored (the MicroProfile JWT default skew is 60
        // s).
        Instant now = Instant.now();
        cases.add(new String[] {
            "2 s past its expiry",
            ours.mint("u", all, now.minusSeconds(62), Duration.ofSeconds(60), Jwts.DEV_ISSUER, Jwts.AUDIENCE)
        });
        cases.add(new String[] {
            "issued 2 minutes in the future",
            ours.mint("u", all, now.plusSeconds(120), Duration.ofMinutes(10), Jwts.DEV_ISSUER, Jwts.AUDIENCE)
        });
        cases.add(new String[] {
            "issued 31 days ago, still unexpired",
            ours.mint("u", all, now.minus(Duration.ofDays(31)), Duration.ofDays(32), Jwts.DEV_ISSUER, Jwts.AUDIENCE)
        });
        cases.add(new String[] {
            "another issuer",
            ours.mint("u", all, Instant.now(), Duration.ofMinutes(5), "https://evil.example", Jwts.AUDIENCE)
        });
        cases.add(new String[] {
            "another audience",
            ours.mint("u", all, Instant.now(), Duration.ofMinutes(5), Jwts.DEV_ISSUER, "someone-else")
        });
        cases.add(new String[] {"signed by another key", stranger.mint("u", all, Duration.ofMinutes(5))});
        cases.add(new String[] {"alg none", unsignedNone});
        cases.add(new String[] {
            "tampered claims", parts[0] + "." + parts[1].substring(0, parts[1].length() - 2) + "AA." + parts[2]
        });
        cases.add(new String[] {"not a JWT", "not-a-token"});
        cases.add(new String[] {"empty bearer", "Bearer "});
        cases.add(new String[] {"basic auth", "Basic " + Base64.getEncoder().encodeToString("admin:admin".getBytes())});
        for (String[] bad : cases)
            assertError(
                    send(c, bad[1]),
                    401,
                    "unauthorized",
                    c.method() + " " + c.path() + " with a token that is " + bad[0]);
        HttpResponse<String> ok = send(c, good);
        assertTrue(
                ok.statusCode() != 401 && ok.statusCode() != 403, "the good token itself gets in: " + ok.statusCode());
        System.out.printf("bad tokens: %d kinds refused with 401%n", cases.size());
    }

    /** Health, metrics and the OpenAPI document answer without a token. */
    static void openWithoutToken(String... paths) {
        for (String p : paths)
            assertEquals(200, send(Call.of("GET", p, Set.of()), null).statusCode(), p + " is open");
    }

    static void assertError(HttpResponse<String> r, int status, String code, String what) {
        assertEquals(status, r.statusCode(), what + ": " + r.body());
        try {
            JsonNode n = JSON.readTree(r.body());
            assertTrue(HostileInput.isProblem(r), what + ": an application/problem+json problem: " + r.body());
            assertEquals(code, n.path("reason").asText(), what + ": " + r.body());
        } catch (IOException e) {
            throw new AssertionError(what + ": the body is not a problem: " + r.body());
        }
        if (status == 401)
            assertTrue(
                    r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"),
                    what + ": WWW-Authenticate: Bearer");
    }
}
