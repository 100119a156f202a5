package org.clinlora.platform.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import org.clinlora.platform.auth.ServiceToken;
import org.clinlora.platform.registry.RegistryClient;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * How a service calls another: its own bearer token ({@code clinlora.auth.service-token-file}, re-read when it
 * changes) and a {@link RegistryClient} for {@code clinlora.registry.url} that sends it.
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
    RegistryClient registryClient(@ConfigProperty(name = "clinlora.registry.url") String url, ServiceToken token) {
        return new RegistryClient(url, token);
    }
}
