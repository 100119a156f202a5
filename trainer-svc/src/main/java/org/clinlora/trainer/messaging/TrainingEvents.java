package org.clinlora.trainer.messaging;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.clinlora.platform.events.Event;
import org.clinlora.platform.events.KafkaEvents;
import org.clinlora.platform.events.OutboxRelay;
import org.clinlora.platform.store.BlobStore;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;

/**
 * training.events, keyed by job id: TrainingProgress per optimizer step (sent without waiting: a slow or absent broker
 * must not slow training, and a lost progress record is only a missed update), then TrainingCompleted or
 * TrainingFailed, announced at least once through the store's outbox ({@link OutboxRelay}).
 */
@ApplicationScoped
public class TrainingEvents {
    private final Emitter<String> emitter;
    private final OutboxRelay relay;

    public TrainingEvents(@Channel("training-events") Emitter<String> emitter, BlobStore store) {
        this.emitter = emitter;
        this.relay = OutboxRelay.onKafka(store, "trainer-svc", "training.events", emitter);
    }

    void onStart(@Observes StartupEvent e) {
        relay.start();
    }

    void onStop(@Observes ShutdownEvent e) {
        relay.close();
    }

    /** Progress: never waits. */
    public void progress(String jobId, Event event) {
        KafkaEvents.sendNoWait(emitter, jobId, event);
    }

    /** A job's outcome: announced at least once. */
    public void emit(String jobId, Event event) {
        relay.announce(jobId, event);
    }
}
