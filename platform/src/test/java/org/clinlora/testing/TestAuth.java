package org.clinlora.testing;

import io.restassured.RestAssured;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.clinlora.platform.auth.Jwts;
import org.clinlora.platform.auth.Roles;

/**
 * Security is on in every test, as in production: one development key pair per test JVM, the service under test and
 * every service launched beside it verify tokens against its public key, and each service calls the others with its own
 * least-privilege token ({@link Roles#SERVICE_ROLES}). Test requests carry an all-roles token unless a test says
 * otherwise (the role-matrix and 401 tests do).
 */
public final class TestAuth {
    private static Path dir;
    private static Jwts issuer;

    private TestAuth() {}

    public static synchronized Path dir() {
        if (dir == null) {
            try {
                dir = Files.createTempDirectory("clinlora-test-auth");
                issuer = Jwts.devIssuer(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return dir;
    }

    public static Jwts issuer() {
        dir();
        return issuer;
    }

    /** A token of a test user with these roles, valid for an hour. */
    public static String token(String... roles) {
        return issuer().mint("test-user", List.of(roles), Duration.ofHours(1));
    }

    public static String allRoles() {
        return token(Roles.ALL.toArray(String[]::new));
    }

    /** {@code <svc>-svc}'s own token file, with only the roles it needs to call the others. */
    public static Path serviceTokenFile(String service) {
        Path f = dir().resolve(service + ".token");
        try {
            if (!Files.exists(f))
                Files.writeString(
                        f,
                        issuer().mint(
                                        service,
                                        Roles.SERVICE_ROLES.getOrDefault(service, List.of()),
                                        Duration.ofHours(6)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return f;
    }

    public static String publicKeyLocation() {
        return "file:" + dir().resolve(Jwts.PUBLIC_KEY);
    }

    /** Config overrides for the in-process service under test. */
    public static Map<String, String> config(String service) {
        return Map.of(
                "mp.jwt.verify.publickey.location",
                publicKeyLocation(),
                "mp.jwt.verify.issuer",
                Jwts.DEV_ISSUER,
                "clinlora.auth.service-token-file",
                serviceTokenFile(service).toString());
    }

    /** Environment of a service launched as a process. */
    public static Map<String, String> env(String service) {
        return Map.of(
                "CLINLORA_JWT_PUBLIC_KEY_LOCATION",
                publicKeyLocation(),
                "CLINLORA_JWT_ISSUER",
                Jwts.DEV_ISSUER,
                "CLINLORA_SERVICE_TOKEN_FILE",
                serviceTokenFile(service).toString());
    }

    private static boolean filterInstalled;

    /**
     * REST Assured requests of this JVM carry an all-roles token unless they set their own Authorization header (a
     * filter, not a default specification: a specification would pin the port before Quarkus picks it).
     */
    public static synchronized void installRestAssuredDefault() {
        if (filterInstalled) return;
        String header = "Bearer " + allRoles();
        RestAssured.filters((req, res, ctx) -> {
            if (!req.getHeaders().hasHeaderWithName("Authorization")) req.header("Authorization", header);
            return ctx.next(req, res);
        });
        filterInstalled = true;
    }
}
