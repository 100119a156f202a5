package org.clinlora.tokenizer.datasets;

import jakarta.inject.Singleton;
import org.clinlora.platform.events.OutboxEvents;
import org.clinlora.platform.store.BlobStore;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;

/**
 * {@code datasets.ready} ({@code DatasetReady}, keyed by dataset id), announced at least once through the store's
 * outbox after the manifest and the job record are durable: a dataset finished while Kafka is down is announced when it
 * is back.
 */
@Singleton
public class DatasetEvents extends OutboxEvents {
    public DatasetEvents(@Channel("datasets-ready") Emitter<String> emitter, BlobStore store) {
        super(store, "tokenizer-svc", "datasets.ready", emitter);
    }
}
