package org.clinlora.platform.wiring;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.time.Duration;
import org.clinlora.platform.auth.ServiceToken;
import org.clinlora.platform.calls.RetryPolicy;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.registry.RestRegistryApi;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * How a service calls another: its own bearer token ({@code clinlora.auth.service-token-file}, re-read when it changes)
 * and a {@link RegistryClient} for {@code clinlora.registry.url} that sends it through Quarkus REST Client (traced:
 * {@code traceparent} crosses the call), each call sent at most {@code clinlora.registry.attempts} times as
 * {@link RetryPolicy} says (429/503 after their Retry-After when it is at most {@code clinlora.registry.longest-wait};
 * 502/504 and broken connections, for reads, after a doubling backoff).
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
                    int attempts,
            @ConfigProperty(name = "clinlora.registry.longest-wait", defaultValue = "PT10S") Duration longestWait) {
        RetryPolicy policy = new RetryPolicy(attempts, Duration.ofMillis(500), longestWait);
        return new RegistryClient(RestRegistryApi.create(url, token, policy));
    }
}
