package org.clinlora.tokenizer.messaging;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.clinlora.platform.events.DatasetReady;
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
        this.relay = OutboxRelay.onKafka(store, "tokenizer-svc", "datasets.ready", emitter);
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
