package org.clinlora.trainer.jobs;

import jakarta.inject.Singleton;
import org.clinlora.platform.events.Event;
import org.clinlora.platform.events.KafkaEvents;
import org.clinlora.platform.events.OutboxEvents;
import org.clinlora.platform.store.BlobStore;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;

/**
 * training.events, keyed by job id: TrainingProgress per optimizer step (sent without waiting: a slow or absent broker
 * must not slow training, and a lost progress record is only a missed update), then TrainingCompleted or
 * TrainingFailed, announced at least once through the store's outbox ({@link #announce}). Each is a CloudEvent from
 * {@code /clinlora/trainer-svc} whose subject is the job id.
 */
@Singleton
public class TrainingEvents extends OutboxEvents {
    private static final String SERVICE = "trainer-svc";
    private final Emitter<String> emitter;

    public TrainingEvents(@Channel("training-events") Emitter<String> emitter, BlobStore store) {
        super(store, SERVICE, "training.events", emitter);
        this.emitter = emitter;
    }

    /** Progress: never waits. */
    public void progress(String jobId, Event event) {
        KafkaEvents.sendNoWait(emitter, SERVICE, jobId, event);
    }
}
