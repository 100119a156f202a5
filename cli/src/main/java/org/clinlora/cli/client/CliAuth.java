package org.clinlora.cli.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.clinlora.platform.auth.Jwts;
import org.clinlora.platform.auth.Roles;

/**
 * Bearer tokens for the command line's own calls (demo, benchmarks) and for the services it starts. A token in
 * {@code CLINLORA_TOKEN} is used as given; otherwise one is minted with the local development key pair in {@code <run
 * dir>/auth/} (made on first use) — the key the services started by the launcher verify against.
 */
public final class CliAuth {
    private static String token;

    private CliAuth() {}

    private static Path authDir() {
        String run = System.getenv("CLINLORA_RUN_DIR");
        if (run == null)
            run = Path.of(System.getenv().getOrDefault("CLINLORA_ROOT", "."), ".run")
                    .toString();
        return Path.of(run, "auth");
    }

    public static Jwts devIssuer() {
        try {
            return Jwts.devIssuer(authDir());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The variable the CLI's calls take their bearer token from; every command's --help names it. */
    public static final String TOKEN_VARIABLE = "CLINLORA_TOKEN";

    /**
     * The bearer token of the CLI's calls: {@code CLINLORA_TOKEN}, or else a development token with every role, which
     * is said once on stderr: a command must never act with every role without the user knowing.
     */
    public static synchronized String token() {
        if (token == null) {
            String given = System.getenv(TOKEN_VARIABLE);
            if (given != null && !given.isBlank()) {
                token = given.strip();
            } else {
                token = devIssuer().mint("clinlora-cli", Roles.ALL, Duration.ofHours(4));
                System.err.println(devTokenNotice());
            }
        }
        return token;
    }

    static String devTokenNotice() {
        return "clinlora: " + TOKEN_VARIABLE + " is not set: using a local development token with every role, signed"
                + " by the key in " + authDir() + " (only services started by ./clinlora accept it)";
    }

    /** Forget the token, so the next call decides again (tests). */
    static synchronized void forget() {
        token = null;
    }

    public static HttpRequest.Builder request(URI uri) {
        return HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token());
    }

    /** Writes {@code <svc>.token} for each service, with only the roles it needs ({@link Roles#SERVICE_ROLES}). */
    public static Path serviceToken(String service, Duration ttl) {
        Jwts issuer = devIssuer(); // makes the folder and the key pair on first use
        Path f = authDir().resolve(service + ".token");
        try {
            Path tmp = Files.createTempFile(authDir(), "." + service, ".tmp");
            Files.writeString(tmp, issuer.mint(service, Roles.SERVICE_ROLES.getOrDefault(service, List.of()), ttl));
            Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return f;
    }

    /** Environment for a service process the command line starts: the public key and its own token. */
    public static Map<String, String> serviceEnv(String service) {
        Path f = serviceToken(service, Duration.ofHours(24));
        return Map.of(
                "CLINLORA_JWT_PUBLIC_KEY_LOCATION",
                "file:" + authDir().resolve(Jwts.PUBLIC_KEY).toAbsolutePath(),
                "CLINLORA_SERVICE_TOKEN_FILE",
                f.toAbsolutePath().toString());
    }
}
