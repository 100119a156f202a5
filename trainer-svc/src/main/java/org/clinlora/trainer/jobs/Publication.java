package org.clinlora.trainer.jobs;

import io.smallrye.faulttolerance.api.ExponentialBackoff;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.RegistryClient;
import org.eclipse.microprofile.faulttolerance.Retry;

/**
 * A job's publication to registry-svc, retried (SmallRye Fault Tolerance) while the registry is unreachable or
 * answers 5xx — a finished job must not fail because registry-svc restarted. Every attempt first looks for the
 * version this job already published ({@link RegistryClient#publishOnce}), so a publish whose answer was lost
 * (the registry stopped mid-request) is not made twice. About two minutes of attempts, then the job fails.
 */
@ApplicationScoped
public class Publication {
    /** A registry that could not answer now: the one failure worth another attempt. */
    static final class RegistryUnavailable extends IOException {
        RegistryUnavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final RegistryClient registry;

    public Publication(RegistryClient registry) {
        this.registry = registry;
    }

    @Retry(maxRetries = 12, delay = 500, jitter = 200, maxDuration = 150, durationUnit = ChronoUnit.SECONDS, retryOn = RegistryUnavailable.class)
    @ExponentialBackoff(maxDelay = 15, maxDelayUnit = ChronoUnit.SECONDS)
    public AdapterCard publish(String name, String sourcePrefix, Map<String, Object> card, String jobId) throws IOException {
        try {
            return registry.publishOnce(name, sourcePrefix, card, jobId);
        } catch (RegistryClient.RegistryException e) {
            if (e.status() >= 500) throw new RegistryUnavailable("registry-svc answered " + e.status(), e);
            throw e;
        } catch (IOException e) {
            throw unavailableOr(e);
        }
    }

    /**
     * A fully fine-tuned model pushed as base model {@code id}: a repeated push sends only what the registry lacks, and
     * the same files already stored are left as they are, so an attempt may be repeated.
     */
    @Retry(maxRetries = 12, delay = 500, jitter = 200, maxDuration = 150, durationUnit = ChronoUnit.SECONDS, retryOn = RegistryUnavailable.class)
    @ExponentialBackoff(maxDelay = 15, maxDelayUnit = ChronoUnit.SECONDS)
    public RegistryClient.ModelPush pushModel(String id, java.nio.file.Path dir) throws IOException {
        try {
            return registry.pushModel(id, dir, null);
        } catch (RegistryClient.RegistryException e) {
            if (e.status() >= 500) throw new RegistryUnavailable("registry-svc answered " + e.status(), e);
            throw e;
        } catch (IOException e) {
            throw unavailableOr(e);
        }
    }

    /** An I/O failure that another attempt may cure (unreachable, timed out, connection broken), else the failure itself. */
    private static IOException unavailableOr(IOException e) {
        if (e instanceof java.net.ConnectException || e instanceof java.net.http.HttpTimeoutException) return new RegistryUnavailable("registry-svc is unreachable", e);
        // HttpClient's "closed"/"reset"
        return e.getClass() == IOException.class ? new RegistryUnavailable("the connection to registry-svc broke", e) : e;
    }
}
