package org.clinlora.trainer.messaging;

import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.clinlora.platform.events.CloudEvents;
import org.clinlora.platform.events.Event;
import org.clinlora.platform.events.TrainingRequest;
import org.clinlora.platform.failure.Busy;
import org.clinlora.platform.failure.Failure;
import org.clinlora.platform.failure.Unavailable;
import org.clinlora.trainer.jobs.TrainingJobs;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Topic training.requests → jobs, for MLOps pipelines. The spec's jobId makes a redelivered record the same job. A
 * record that cannot become a job (not JSON, another type, an invalid or conflicting spec, an unknown dataset) goes to
 * training.requests.dlq with the reason; a full queue is retried here (backpressure) rather than dropped. A request is
 * a CloudEvent ({@code org.clinlora.training.requested}) or, for one release, today's envelope without {@code ce_}
 * headers.
 */
@ApplicationScoped
public class TrainingRequestsConsumer {
    private static final Logger LOG = Logger.getLogger(TrainingRequestsConsumer.class);

    private final TrainingJobs jobs;

    public TrainingRequestsConsumer(TrainingJobs jobs) {
        this.jobs = jobs;
    }

    @Incoming("training-requests")
    @Blocking
    public void consume(ConsumerRecord<String, String> record) throws InterruptedException {
        Event e = CloudEvents.read(record.headers(), record.value()); // null value: "empty record"
        if (!(e instanceof TrainingRequest req) || req.spec() == null)
            throw new IllegalArgumentException("training.requests carries TrainingRequest records with a spec");
        if (req.spec().jobId() == null)
            throw new IllegalArgumentException(
                    "spec.jobId is required on training.requests (it makes redelivery idempotent)");
        for (int attempt = 1; ; attempt++) {
            try {
                TrainingJobs.Submitted s = jobs.submit(req.spec());
                LOG.infof("training.requests: job %s %s", s.job().jobId(), s.created() ? "queued" : "already known");
                return;
            } catch (Failure ex) {
                boolean retryLater = ex instanceof Busy || ex instanceof Unavailable;
                if (!retryLater || attempt >= 60) throw new IllegalArgumentException(ex.getMessage());
                Thread.sleep(5_000);
            }
        }
    }
}
