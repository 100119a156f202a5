package org.clinlora.scorer.scoring;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

/**
 * {@code base-model} in {@code /q/health/ready} and {@code /q/health/started}: DOWN while the configured base model is
 * looked for, loaded or failing ({@link BaseModelLoader}), UP once it is loaded — or when none is configured (the first
 * adapter binds it). Kubernetes' startupProbe waits on it, and no request is routed to the replica before. The data
 * says the state ({@code unbound}, {@code lazy}, {@code waiting}, {@code loading}, {@code failed}, {@code loaded}), the
 * model id, the attempts and, when DOWN, why (a sentence about the store or an exception's class — never a message that
 * could quote data).
 */
@Readiness
@Startup
@ApplicationScoped
public class BaseModelHealth implements HealthCheck {
    private final BaseModelLoader loader;

    public BaseModelHealth(BaseModelLoader loader) {
        this.loader = loader;
    }

    @Override
    public HealthCheckResponse call() {
        BaseModelLoader.Status s = loader.status();
        var b = HealthCheckResponse.named("base-model")
                .status(s.up())
                .withData("state", s.state().id());
        s.model().ifPresent(m -> b.withData("model", m));
        if (s.attempts() > 0) b.withData("attempts", s.attempts());
        if (!s.reason().isEmpty()) b.withData("reason", s.reason());
        return b.build();
    }
}
