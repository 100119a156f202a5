package org.clinlora.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.clinlora.cli.client.CliAuth;
import org.clinlora.cli.command.CliCommand;
import org.clinlora.cli.command.CliVersion;
import org.clinlora.platform.auth.Roles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./clinlora token}: a development bearer token signed with the local key pair under .run/auth/. */
@Command(
        name = "token",
        mixinStandardHelpOptions = true,
        versionProvider = CliVersion.class,
        description =
                "A development bearer token (RS256) for the local services, signed with .run/auth/jwt-private.pem (made on first use).",
        footer = {
            "roles: scorer-client, data-engineer, trainer, publisher, registry-admin",
            "use:   curl -H \"Authorization: Bearer $(./clinlora token --role scorer-client)\" http://127.0.0.1:8084/v1/score ..."
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

    @Override
    protected void execute() {
        if (serviceTokens) {
            for (String svc : List.of("tokenizer-svc", "registry-svc", "trainer-svc", "scorer-svc")) {
                Path f = CliAuth.serviceToken(svc, Duration.ofHours(24));
                System.err.println("token: " + f + " (roles " + Roles.SERVICE_ROLES.get(svc) + ", 24 h)");
            }
            return;
        }
        Duration lifetime = parseTtl(ttl);
        if (roles.isEmpty()) throw new IllegalArgumentException("give at least one --role: " + Roles.ALL);
        for (String r : roles)
            if (!Roles.ALL.contains(r))
                throw new IllegalArgumentException("unknown role '" + r + "'; one of " + Roles.ALL);
        System.out.println(CliAuth.devIssuer().mint(subject, roles, lifetime));
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
