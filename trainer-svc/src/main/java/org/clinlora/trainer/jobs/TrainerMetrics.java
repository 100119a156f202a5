package org.clinlora.trainer.jobs;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.clinlora.model.train.Trainer;

/**
 * trainer-svc's Prometheus metrics (at /q/metrics): jobs waiting and running on this replica, unfinished jobs in the
 * store across replicas ({@code clinlora_trainer_jobs_pending}, what KEDA scales GPU workers on), jobs finished by
 * outcome, and the running job's last logged step — loss, learning rate, tokens/s, gradient norm — for dashboards and
 * alerts.
 */
@ApplicationScoped
public class TrainerMetrics {
    /** Every outcome {@link #finished} records; each counter exists at 0 from the start. */
    static final List<String> OUTCOMES = List.of("succeeded", "failed", "cancelled");

    private final MeterRegistry registry;
    private final AtomicReference<Trainer.Progress> last = new AtomicReference<>();
    private final Counter steps;

    public TrainerMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.steps = Counter.builder("clinlora.trainer.steps")
                .description("optimizer steps taken")
                .register(registry);
        // Registered at 0 up front: increase() over a short-lived worker's series sees its first failure only if the
        // series existed before it (a counter born at 1 reads as no increase).
        OUTCOMES.forEach(this::finishedCounter);
        gauge("clinlora.trainer.step.loss", "the running job's last step: mean loss", p -> p.loss());
        gauge(
                "clinlora.trainer.step.learning.rate",
                "the running job's last step: learning rate",
                p -> p.learningRate());
        gauge(
                "clinlora.trainer.step.tokens.per.second",
                "the running job's last step: training tokens/s",
                p -> p.tokensPerSecond());
        gauge(
                "clinlora.trainer.step.grad.norm",
                "the running job's last step: gradient norm before clipping",
                p -> p.gradNorm());
        gauge(
                "clinlora.trainer.step.progress",
                "the running job's fraction of its optimizer steps done",
                p -> (double) p.step() / Math.max(1, p.totalSteps()));
    }

    /** The suppliers are held strongly: a gauge keeps only a weak reference by default, and a lambda has no owner. */
    void jobs(Supplier<Number> waiting, Supplier<Number> running) {
        Gauge.builder("clinlora.trainer.jobs", waiting, s -> s.get().doubleValue())
                .tag("state", "queued")
                .description("jobs by state on this replica")
                .strongReference(true)
                .register(registry);
        Gauge.builder("clinlora.trainer.jobs", running, s -> s.get().doubleValue())
                .tag("state", "running")
                .description("jobs by state on this replica")
                .strongReference(true)
                .register(registry);
    }

    /**
     * Unfinished job records in the store (queued or running, on any replica), as counted at the last recovery round
     * and by this replica's submissions since: what scales the GPU workers from zero.
     */
    void pending(Supplier<Number> pending) {
        Gauge.builder("clinlora.trainer.jobs.pending", pending, s -> s.get().doubleValue())
                .description("unfinished training jobs in the store (queued + running, all replicas)")
                .strongReference(true)
                .register(registry);
    }

    void step(Trainer.Progress p) {
        last.set(p);
        steps.increment();
    }

    /** A job ended: succeeded, failed or cancelled; the step gauges go blank until the next job logs. */
    void finished(String status) {
        finishedCounter(status).increment();
        last.set(null);
    }

    private Counter finishedCounter(String status) {
        return Counter.builder("clinlora.trainer.jobs.finished")
                .tag("status", status)
                .description("jobs finished by outcome")
                .register(registry);
    }

    private void gauge(String name, String description, ToDoubleFunction<Trainer.Progress> f) {
        Gauge.builder(name, last, r -> r.get() == null ? Double.NaN : f.applyAsDouble(r.get()))
                .description(description)
                .register(registry);
    }
}
