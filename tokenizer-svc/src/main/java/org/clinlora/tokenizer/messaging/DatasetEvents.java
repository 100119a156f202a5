package org.clinlora.tokenizer.messaging;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.clinlora.platform.events.DatasetReady;
import org.clinlora.platform.events.KafkaEvents;
import org.clinlora.platform.events.Outbox;
import org.clinlora.platform.events.OutboxRelay;
import org.clinlora.platform.store.BlobStore;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;

/**
 * {@code datasets.ready}, keyed by dataset id, announced at least once through the store's outbox
 * ({@link OutboxRelay}) after the manifest and the job record are durable: a dataset finished while Kafka is down is
 * announced when it is back.
 */
@ApplicationScoped
public class DatasetEvents {
    private final OutboxRelay relay;

    public DatasetEvents(@Channel("datasets-ready") Emitter<String> emitter, BlobStore store) {
        this.relay = new OutboxRelay(new Outbox(store, "tokenizer-svc", "datasets.ready",
                (key, event) -> KafkaEvents.sendAndAwait(emitter, key, event, OutboxRelay.ACK_WAIT_SECONDS)), "datasets.ready");
    }

    void onStart(@Observes StartupEvent e) {
        relay.start();
    }

    void onStop(@Observes ShutdownEvent e) {
        relay.close();
    }

    public void ready(DatasetReady event) {
        relay.announce(event.datasetId(), event);
    }
}
