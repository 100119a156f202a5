package org.clinlora.platform.calls;

import io.smallrye.faulttolerance.api.CustomBackoffStrategy;
import io.smallrye.faulttolerance.api.Guard;
import jakarta.ws.rs.ProcessingException;
import java.io.IOException;
import java.net.ConnectException;
import java.time.temporal.ChronoUnit;

/**
 * A service's calls to another service under SmallRye Fault Tolerance's retry (its programmatic {@link Guard}), with
 * the waits and the answers worth repeating that {@link RetryPolicy} decides — Retry-After included, which a fixed or
 * exponential backoff cannot express. Reads and writes have one guard each: only a read is sent again after a broken
 * connection or a gateway's 502/504. A REST client's I/O failure (a {@link ProcessingException}) reaches callers as an
 * {@link IOException}, as an unreachable service always has in this repository; a {@link ConnectException} stays one.
 */
public final class CallGuard {
    /** A call that answers or fails with an I/O error or a runtime exception (a {@link Refusal}). */
    @FunctionalInterface
    public interface Call<T> {
        T call() throws IOException;
    }

    private final Guard reads;
    private final Guard writes;

    /** {@code name}: the service called, for Fault Tolerance's metrics and logs. */
    public CallGuard(RetryPolicy policy, String name) {
        this.reads = guard(policy, true, name + " reads");
        this.writes = guard(policy, false, name + " writes");
    }

    /** A call that may be repeated (a GET). */
    public <T> T read(Call<T> call) throws IOException {
        return run(reads, call);
    }

    /** A call that must not be repeated unless the service refused it before doing anything (429, 503). */
    public <T> T write(Call<T> call) throws IOException {
        return run(writes, call);
    }

    private static Guard guard(RetryPolicy policy, boolean repeatable, String description) {
        return Guard.create()
                .withDescription(description)
                .withRetry()
                .maxRetries(policy.attempts() - 1)
                .delay(policy.firstBackoff().toMillis(), ChronoUnit.MILLIS)
                // No jitter: it could make a wait shorter than the Retry-After the service asked for.
                .jitter(0, ChronoUnit.MILLIS)
                // Attempts, not time, bound a call: a download may itself take minutes.
                .maxDuration(6, ChronoUnit.HOURS)
                .whenException(e -> policy.retryable(e, repeatable))
                .withCustomBackoff()
                .strategy(() -> new PolicyBackoff(policy))
                .done()
                .done()
                .build();
    }

    @SuppressWarnings("unchecked")
    private static <T> T run(Guard guard, Call<T> call) throws IOException {
        try {
            return (T) guard.call(() -> unwrapped(call), Object.class);
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e.getMessage(), e); // Call throws nothing else; Guard's signature says Exception
        }
    }

    private static <T> T unwrapped(Call<T> call) throws IOException {
        try {
            return call.call();
        } catch (ProcessingException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (cause instanceof Refusal && cause instanceof RuntimeException answered) throw answered;
            if (cause instanceof ConnectException) {
                ConnectException refused = new ConnectException(cause.getMessage());
                refused.initCause(e);
                throw refused;
            }
            throw new IOException("the connection failed: " + cause, e);
        }
    }

    /** One per call (Fault Tolerance asks the supplier for each): counts its retries. */
    private static final class PolicyBackoff implements CustomBackoffStrategy {
        private final RetryPolicy policy;
        private int retries;

        PolicyBackoff(RetryPolicy policy) {
            this.policy = policy;
        }

        @Override
        public long nextDelayInMillis(Throwable failure) {
            return policy.delay(++retries, failure).toMillis();
        }
    }
}
