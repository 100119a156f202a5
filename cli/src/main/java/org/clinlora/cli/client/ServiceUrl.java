package org.clinlora.cli.client;

import java.util.Locale;

/** A service's base URL for the client commands: the option, else {@code CLINLORA_<SVC>_URL}, else its local port. */
public final class ServiceUrl {
    private ServiceUrl() {}

    public static String of(String option, String service, int defaultPort) {
        if (option != null) return option.replaceAll("/+$", "");
        String svc = service.toUpperCase(Locale.ROOT);
        String env = System.getenv("CLINLORA_" + svc + "_URL");
        if (env != null && !env.isBlank()) return env.strip().replaceAll("/+$", "");
        return "http://127.0.0.1:"
                + System.getenv().getOrDefault("CLINLORA_" + svc + "_PORT", String.valueOf(defaultPort));
    }
}
