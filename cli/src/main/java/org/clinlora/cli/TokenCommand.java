package org.clinlora.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.clinlora.cli.client.CliAuth;
import org.clinlora.cli.command.CliCommand;
import org.clinlora.cli.command.CliVersion;
import org.clinlora.platform.auth.Jwts;
import org.clinlora.platform.auth.Roles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./clinlora token}: a development bearer token signed with the local key pair under .run/auth/, for the issuer
 * the services verify ({@code CLINLORA_JWT_ISSUER}; {@code https://clinlora.local/dev} unless {@code --issuer} says
 * another, as a cluster given the local public key but its own issuer name needs).
 */
@Command(
        name = "token",
        mixinStandardHelpOptions = true,
        versionProvider = CliVersion.class,
        description =
                "A development bearer token (RS256), signed with .run/auth/jwt-private.pem (made on first use): for the local services, or a cluster whose services verify that key under another issuer name (--issuer; e.g. the k8s dev overlay).",
        footer = {
            "roles: scorer-client, data-engineer, trainer, publisher, registry-admin",
            "use:   curl -H \"Authorization: Bearer $(./clinlora token --role scorer-client)\" http://127.0.0.1:8084/v1/score ...",
            "--issuer: the services accept a token only from the issuer in their CLINLORA_JWT_ISSUER (default "
                    + Jwts.DEV_ISSUER
                    + "); give theirs when a cluster verifies another one, e.g. the k8s dev overlay's, with this key"
                    + " pair's jwt-public.pem as its public key"
        })
final class TokenCommand extends CliCommand {
    @Option(names = "--role", paramLabel = "ROLE", description = "a role (repeat for several)")
    List<String> roles = new ArrayList<>();

    @Option(names = "--subject", description = "the token's subject (default: the user name)")
    String subject = System.getProperty("user.name", "developer");

    @Option(
            names = "--ttl",
            defaultValue = "1h",
            description = "lifetime: a number with s, m, h or d (default ${DEFAULT-VALUE})")
    String ttl;

    @Option(
            names = "--service-tokens",
            description = "write .run/auth/<svc>-svc.token for the four services (least privilege, 24 h)")
    boolean serviceTokens;

    @Option(
            names = "--issuer",
            paramLabel = "URL",
            defaultValue = Jwts.DEV_ISSUER,
            description =
                    "the token's iss: the CLINLORA_JWT_ISSUER of the services it is for (default ${DEFAULT-VALUE})")
    String issuer;

    @Override
    protected void execute() {
        checkIssuer(issuer);
        if (serviceTokens) {
            for (String svc : List.of("tokenizer-svc", "registry-svc", "trainer-svc", "scorer-svc")) {
                Path f = CliAuth.serviceToken(svc, Duration.ofHours(24));
                if (!issuer.equals(Jwts.DEV_ISSUER)) reissue(f, svc, Duration.ofHours(24));
                System.err.println(
                        "token: " + f + " (roles " + Roles.SERVICE_ROLES.get(svc) + ", 24 h, issuer " + issuer + ")");
            }
            return;
        }
        Duration lifetime = parseTtl(ttl);
        if (roles.isEmpty()) throw new IllegalArgumentException("give at least one --role: " + Roles.ALL);
        for (String r : roles)
            if (!Roles.ALL.contains(r))
                throw new IllegalArgumentException("unknown role '" + r + "'; one of " + Roles.ALL);
        System.out.println(mint(subject, roles, lifetime));
    }

    private String mint(String sub, List<String> groups, Duration lifetime) {
        return CliAuth.devIssuer().mint(sub, groups, Instant.now(), lifetime, issuer, Jwts.AUDIENCE);
    }

    /** A service's token file written again for {@code --issuer} (same key, same roles). */
    private void reissue(Path f, String svc, Duration lifetime) {
        try {
            Path tmp = Files.createTempFile(f.getParent(), "." + svc, ".tmp");
            Files.writeString(tmp, mint(svc, Roles.SERVICE_ROLES.getOrDefault(svc, List.of()), lifetime));
            Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The services compare iss as a string: one without blanks (a URL, as identity providers name themselves). */
    static void checkIssuer(String iss) {
        if (iss == null
                || iss.isBlank()
                || !iss.equals(iss.strip())
                || iss.chars().anyMatch(Character::isWhitespace))
            throw new IllegalArgumentException(
                    "--issuer is the services' CLINLORA_JWT_ISSUER, a URL without blanks; got '" + iss + "'");
    }

    static Duration parseTtl(String s) {
        if (!s.matches("\\d{1,6}[smhd]"))
            throw new IllegalArgumentException("--ttl is a number with s, m, h or d, e.g. 30m or 12h; got '" + s + "'");
        long n = Long.parseLong(s.substring(0, s.length() - 1));
        Duration d =
                switch (s.charAt(s.length() - 1)) {
                    case 's' -> Duration.ofSeconds(n);
                    case 'm' -> Duration.ofMinutes(n);
                    case 'h' -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
        if (d.isZero() || d.compareTo(Duration.ofDays(30)) > 0)
            throw new IllegalArgumentException("--ttl must be between 1s and 30d");
        return d;
    }
}
