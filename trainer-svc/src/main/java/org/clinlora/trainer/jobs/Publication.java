package org.clinlora.trainer.jobs;

import io.smallrye.faulttolerance.api.ExponentialBackoff;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Path;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.PublishRequest;
import org.clinlora.platform.registry.RegistryClient;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.jboss.logging.Logger;

/**
 * A job's publication to registry-svc, retried (SmallRye Fault Tolerance) while the registry is unreachable or answers
 * 5xx — a finished job must not fail because registry-svc restarted. Every attempt first looks for the version this job
 * already published ({@link RegistryClient#publishOnce}), so a publish whose answer was lost (the registry stopped
 * mid-request) is not made twice. About 150 s of attempts, then the job fails.
 */
@ApplicationScoped
public class Publication {
    private static final Logger LOG = Logger.getLogger(Publication.class);

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

    @Retry(
            maxRetries = 12,
            delay = 500,
            jitter = 200,
            maxDuration = 150,
            durationUnit = ChronoUnit.SECONDS,
            retryOn = RegistryUnavailable.class)
    @ExponentialBackoff(maxDelay = 15, maxDelayUnit = ChronoUnit.SECONDS)
    public AdapterCard publish(String name, String sourcePrefix, PublishRequest card, String jobId) throws IOException {
        try {
            return registry.publishOnce(name, sourcePrefix, card, jobId);
        } catch (RegistryClient.RegistryException e) {
            if (e.status() >= 500) throw new RegistryUnavailable("registry-svc answered " + e.status(), e);
            throw e;
        } catch (IOException e) {
            throw unavailableOr(e);
        }
    }

    /** The version of {@code name} that job {@code jobId} already published (a job resumed after publishing). */
    public Optional<AdapterCard> publishedBy(String name, String jobId) throws IOException {
        return registry.publishedBy(name, jobId);
    }

    /** Removes a version this job published before it failed, so a failed job leaves no published version. */
    public void withdraw(AdapterCard card) {
        try {
            registry.delete(card.name(), card.version());
        } catch (IOException | RuntimeException e) {
            LOG.errorf("could not withdraw %s after a failed publication: %s", card.ref(), e.toString());
        }
    }

    /**
     * A fully fine-tuned model pushed as base model {@code id}: a repeated push sends only what the registry lacks, and
     * the same files already stored are left as they are, so an attempt may be repeated.
     */
    @Retry(
            maxRetries = 12,
            delay = 500,
            jitter = 200,
            maxDuration = 150,
            durationUnit = ChronoUnit.SECONDS,
            retryOn = RegistryUnavailable.class)
    @ExponentialBackoff(maxDelay = 15, maxDelayUnit = ChronoUnit.SECONDS)
    public RegistryClient.ModelPush pushModel(String id, Path dir) throws IOException {
        try {
            return registry.pushModel(id, dir, null);
        } catch (RegistryClient.RegistryException e) {
            if (e.status() >= 500) throw new RegistryUnavailable("registry-svc answered " + e.status(), e);
            throw e;
        } catch (IOException e) {
            throw unavailableOr(e);
        }
    }

    /**
     * An I/O failure that another attempt may cure (unreachable, timed out, connection broken), else the failure
     * itself.
     */
    private static IOException unavailableOr(IOException e) {
        if (e instanceof ConnectException) return new RegistryUnavailable("registry-svc is unreachable", e);
        // the REST client's timeouts, "closed" and "reset" (platform CallGuard reports them as plain IOExceptions)
        return e.getClass() == IOException.class
                ? new RegistryUnavailable("the connection to registry-svc broke", e)
                : e;
    }
}
