package org.clinlora.platform.wiring;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.time.Duration;
import org.clinlora.platform.auth.ServiceToken;
import org.clinlora.platform.registry.RegistryClient;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * How a service calls another: its own bearer token ({@code clinlora.auth.service-token-file}, re-read when it changes)
 * and a {@link RegistryClient} for {@code clinlora.registry.url} that sends it, each call sent at most
 * {@code clinlora.registry.attempts} times (502/503/504 and, for reads, broken connections are sent again).
 */
@ApplicationScoped
public class ClientProducers {
    @Produces
    @Singleton
    ServiceToken serviceToken(@ConfigProperty(name = "clinlora.auth.service-token-file") Path file) {
        return ServiceToken.fromFile(file);
    }

    @Produces
    @Singleton
    RegistryClient registryClient(
            @ConfigProperty(name = "clinlora.registry.url") String url,
            ServiceToken token,
            @ConfigProperty(name = "clinlora.registry.attempts", defaultValue = "" + RegistryClient.DEFAULT_ATTEMPTS)
                    int attempts) {
        return new RegistryClient(url, token, Duration.ofMillis(500), attempts);
    }
}
