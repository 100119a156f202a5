package org.clinlora.console;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;

/** {@code clinlora.console.*}: what the console itself needs beyond the services' URLs. */
@ConfigMapping(prefix = "clinlora.console")
public interface ConsoleConfig {
    /** Experiment folders the Experiments page may open (each a folder written by ./clinlora experiment). */
    @WithDefault(".run/experiments")
    Path experimentsRoot();

    /** How often a running job's page asks for new steps. */
    @WithDefault("PT2S")
    Duration pollInterval();

    /** Session cookie: marked Secure when the console is served over TLS (k8s: behind an HTTPS ingress). */
    @WithDefault("false")
    boolean secureCookie();
}
