package org.clinlora.tokenizer.messaging;

import jakarta.enterprise.context.ApplicationScoped;
import org.clinlora.platform.events.DatasetReady;
import org.clinlora.platform.events.KafkaEvents;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.jboss.logging.Logger;

/** {@code datasets.ready}, keyed by dataset id, sent after the manifest and the job record are durable. */
@ApplicationScoped
public class DatasetEvents {
    private static final Logger LOG = Logger.getLogger(DatasetEvents.class);

    private final Emitter<String> emitter;

    public DatasetEvents(@Channel("datasets-ready") Emitter<String> emitter) {
        this.emitter = emitter;
    }

    public void ready(DatasetReady event) {
        Throwable failed = KafkaEvents.sendAndAwait(emitter, event.datasetId(), event, 15);
        // The dataset is complete in the store either way; GET /v1/datasets/{id} still says ready.
        if (failed != null) LOG.errorf("DatasetReady %s for dataset %s was not acknowledged by Kafka: %s", event.eventId(), event.datasetId(), failed.toString());
    }
}
