package org.clinlora.core.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.clinlora.core.auth.Jwts;
import org.clinlora.core.auth.Roles;

/** {@code ./clinlora token}: a development bearer token signed with the local key pair under .run/auth/. */
final class TokenCommand implements Main.Command {
    @Override
    public String usage() {
        return """
                a development bearer token (RS256) for the local services, signed with .run/auth/jwt-private.pem (made on first use)
                usage: ./clinlora token --role ROLE [--role ROLE ...] [--subject NAME] [--ttl 1h]
                       ./clinlora token --service-tokens   (writes .run/auth/<svc>-svc.token for the four services, least privilege)
                  roles: scorer-client, data-engineer, trainer, publisher, registry-admin
                  use:   curl -H "Authorization: Bearer $(./clinlora token --role scorer-client)" http://127.0.0.1:8084/v1/score ...""";
    }

    @Override
    public void run(String[] argv) throws IOException {
        Args a = new Args(argv, 1, Set.of("service-tokens"));
        if (a.has("service-tokens")) {
            a.rejectUnknown();
            for (String svc : List.of("tokenizer-svc", "registry-svc", "trainer-svc", "scorer-svc")) {
                Path f = CliAuth.serviceToken(svc, Duration.ofHours(24));
                System.err.println("token: " + f + " (roles " + Roles.SERVICE_ROLES.get(svc) + ", 24 h)");
            }
            return;
        }
        List<String> roles = new ArrayList<>(a.all("role"));
        String subject = a.optional("subject", System.getProperty("user.name", "developer"));
        Duration ttl = parseTtl(a.optional("ttl", "1h"));
        a.rejectUnknown();
        if (roles.isEmpty()) throw new IllegalArgumentException("give at least one --role: " + Roles.ALL);
        for (String r : roles) if (!Roles.ALL.contains(r)) throw new IllegalArgumentException("unknown role '" + r + "'; one of " + Roles.ALL);
        Jwts issuer = CliAuth.devIssuer();
        System.out.println(issuer.mint(subject, roles, ttl));
    }

    static Duration parseTtl(String s) {
        if (!s.matches("\\d{1,6}[smhd]")) throw new IllegalArgumentException("--ttl is a number with s, m, h or d, e.g. 30m or 12h; got '" + s + "'");
        long n = Long.parseLong(s.substring(0, s.length() - 1));
        Duration d = switch (s.charAt(s.length() - 1)) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            case 'h' -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
        if (d.isZero() || d.compareTo(Duration.ofDays(30)) > 0) throw new IllegalArgumentException("--ttl must be between 1s and 30d");
        return d;
    }
}
