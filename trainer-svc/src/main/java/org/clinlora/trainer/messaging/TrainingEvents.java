package org.clinlora.trainer.messaging;

import jakarta.enterprise.context.ApplicationScoped;
import org.clinlora.platform.events.Event;
import org.clinlora.platform.events.KafkaEvents;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.jboss.logging.Logger;

/** training.events, keyed by job id: TrainingProgress per optimizer step, then TrainingCompleted or TrainingFailed. */
@ApplicationScoped
public class TrainingEvents {
    private static final Logger LOG = Logger.getLogger(TrainingEvents.class);

    private final Emitter<String> emitter;

    public TrainingEvents(@Channel("training-events") Emitter<String> emitter) {
        this.emitter = emitter;
    }

    /** Progress: never waits (a slow or absent broker must not slow training). */
    public void progress(String jobId, Event event) {
        KafkaEvents.sendNoWait(emitter, jobId, event);
    }

    public void emit(String jobId, Event event) {
        Throwable failed = KafkaEvents.sendAndAwait(emitter, jobId, event, 15);
        // The job's state is in the store either way (GET /v1/jobs/{id}); a lost progress event is only a missed update.
        if (failed != null) LOG.errorf("%s %s for job %s was not acknowledged by Kafka: %s", event.type(), event.eventId(), jobId, failed.toString());
    }
}
