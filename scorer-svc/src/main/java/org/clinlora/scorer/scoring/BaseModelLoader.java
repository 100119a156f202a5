package org.clinlora.scorer.scoring;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.ChannelRegistry;
import io.smallrye.reactive.messaging.PausableChannel;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import org.clinlora.platform.failure.Unavailable;
import org.jboss.logging.Logger;

/**
 * Loads the configured base model at start, so that a scorer says it is ready only when it can score. After start-up
 * (the HTTP server is up, so liveness answers) a background thread checks the model against the memory there is,
 * fetches and verifies its files and loads it; until then the readiness and started checks {@code base-model} are DOWN
 * ({@link BaseModelHealth}), {@code scores.requests} is not read, and REST requests get 503 with Retry-After.
 *
 * <ul>
 *   <li>A model that is not in the store yet (a deployment applied before the push) is looked for again, 1 s then
 *       doubling up to 30 s; readiness says {@code waiting}.
 *   <li>Any other failure (the store unreachable, a file that does not match its manifest) is logged by class and tried
 *       again the same way; readiness says {@code failed} with the exception's class.
 *   <li>A model that does not fit ({@link ScoringModel#TOO_LARGE}) is final: its one-line refusal is logged at ERROR
 *       once and the process exits with code {@value #EXIT_TOO_LARGE}, so the orchestrator shows the reason instead of
 *       an OOM kill.
 *   <li>A {@link LinkageError} (the native library missing, or built for another CUDA than the node's) or an
 *       {@link OutOfMemoryError} is final too: no retry can mend it, so one line is logged at ERROR and the process
 *       exits with code {@value #EXIT_BROKEN}.
 * </ul>
 *
 * Without a configured base model (bound by the first adapter scored) or with {@code clinlora.scorer.load-at-start}
 * false, the model loads on first use as before and the checks are UP.
 */
@ApplicationScoped
public class BaseModelLoader {
    private static final Logger LOG = Logger.getLogger(BaseModelLoader.class);
    /** The exit code of a scorer whose base model does not fit in its memory. */
    public static final int EXIT_TOO_LARGE = 3;
    /** The exit code of a scorer whose runtime cannot load a model at all (native library, CUDA, heap). */
    public static final int EXIT_BROKEN = 4;

    static final String SCORE_REQUESTS = "scores-requests";
    private static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    private static final Duration LAST_RETRY = Duration.ofSeconds(30);
    private static final Duration HALT_AFTER = Duration.ofSeconds(20);

    /** Where the configured base model is; {@code unbound} and {@code lazy}: loaded on first use. */
    public enum State {
        UNBOUND,
        LAZY,
        WAITING,
        LOADING,
        FAILED,
        LOADED;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What the health checks report. */
    public record Status(State state, Optional<String> model, String reason, int attempts) {
        public boolean up() {
            return state == State.UNBOUND || state == State.LAZY || state == State.LOADED;
        }
    }

    private final ScoringModel model;
    private final Optional<String> configured;
    private final boolean atStart;
    private final ChannelRegistry channels;
    private volatile State state;
    private volatile String reason = "";
    private volatile int attempts;
    private volatile Thread thread;

    public BaseModelLoader(ScoringModel model, ScorerConfig config, ChannelRegistry channels) {
        this.model = model;
        this.configured = config.baseModel().filter(s -> !s.isBlank());
        this.atStart = configured.isPresent() && config.loadAtStart();
        this.channels = channels;
        this.state = configured.isEmpty() ? State.UNBOUND : atStart ? State.LOADING : State.LAZY;
    }

    void onStart(@Observes StartupEvent e) {
        if (!atStart) {
            resumeScoreRequests();
            return;
        }
        model.loadingAtStart(true);
        Thread t = new Thread(this::loadUntilLoaded, "base-model-loader");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    void onStop(@Observes ShutdownEvent e) {
        Thread t = thread;
        if (t != null) t.interrupt();
    }

    public Status status() {
        State s = state;
        return new Status(s == State.LAZY && model.loaded() ? State.LOADED : s, configured, reason, attempts);
    }

    private void loadUntilLoaded() {
        String id = configured.orElseThrow();
        Duration wait = FIRST_RETRY;
        while (!Thread.currentThread().isInterrupted()) {
            attempts++;
            if (attempt(id)) return;
            try {
                Thread.sleep(wait.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            wait = wait.multipliedBy(2).compareTo(LAST_RETRY) > 0 ? LAST_RETRY : wait.multipliedBy(2);
        }
    }

    /** One try; true when the model is loaded (or the process is ending because it does not fit). */
    private boolean attempt(String id) {
        try {
            if (!model.inStore()) {
                set(
                        State.WAITING,
                        "models/" + id + "/ is not in the object store yet (push it: ./clinlora models push)");
                if (attempts == 1) LOG.warnf("base model %s is not in the object store yet; looking again", id);
                return false;
            }
            set(State.LOADING, "");
            model.loadNow();
            model.loadingAtStart(false);
            set(State.LOADED, "");
            resumeScoreRequests();
            return true;
        } catch (Unavailable e) {
            if (ScoringModel.TOO_LARGE.equals(e.reason())) {
                refuse(e.getMessage());
                return true;
            }
            return failed(id, e);
        } catch (Throwable e) { // logged, and retried unless final: the loader thread must not die silently
            Throwable fatal = fatalCause(e);
            if (fatal == null) return failed(id, e);
            broken(id, fatal);
            return true;
        }
    }

    /**
     * The {@link LinkageError} or {@link OutOfMemoryError} behind {@code e}, if any: DJL wraps a native library that
     * does not load in its own (runtime) exception.
     */
    static Throwable fatalCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof LinkageError || t instanceof OutOfMemoryError) return t;
        }
        return null;
    }

    private boolean failed(String id, Throwable e) {
        set(State.FAILED, e.getClass().getSimpleName());
        String line = String.format(
                "base model %s could not be loaded (attempt %d: %s: %s); trying again",
                id, attempts, e.getClass().getSimpleName(), e.getMessage());
        if (attempts == 1) LOG.warn(line, e); // the stack once; later attempts only say it failed again
        else LOG.warn(line);
        return false;
    }

    /** The one line, once, and exit code 4: this runtime cannot load the model, however often it tries. */
    private void broken(String id, Throwable e) {
        set(State.FAILED, e.getClass().getSimpleName());
        String hint = e instanceof OutOfMemoryError
                ? "the JVM heap is too small to load it: raise the container's memory limit"
                : "the image is broken for this node (native library missing, or built for another CUDA)";
        LOG.errorf(
                "scorer: base model %s cannot be loaded: %s: %s; %s; exiting (%d)",
                id, e.getClass().getName(), e.getMessage(), hint, EXIT_BROKEN);
        Quarkus.asyncExit(EXIT_BROKEN);
        // A JVM short of heap may not finish a graceful shutdown: it is cut short after a while.
        Thread halt = new Thread(
                () -> {
                    try {
                        Thread.sleep(HALT_AFTER.toMillis());
                    } catch (InterruptedException ignored) {
                        return;
                    }
                    Runtime.getRuntime().halt(EXIT_BROKEN);
                },
                "base-model-exit");
        halt.setDaemon(true);
        halt.start();
    }

    /** The one line, once, and exit code 3: the model does not fit. */
    private void refuse(String line) {
        set(State.FAILED, ScoringModel.TOO_LARGE);
        LOG.error(line);
        Quarkus.asyncExit(EXIT_TOO_LARGE);
    }

    private void set(State s, String why) {
        reason = why;
        state = s;
    }

    /** scores.requests is paused (not even subscribed) until the model is there. */
    private void resumeScoreRequests() {
        PausableChannel c = channels.getPausable(SCORE_REQUESTS);
        if (c != null && c.isPaused()) c.resume();
    }
}
