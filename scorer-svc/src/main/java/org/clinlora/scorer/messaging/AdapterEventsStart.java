package org.clinlora.scorer.messaging;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Pins where this replica's {@code adapters.events} reading starts. Each scorer replica reads the topic in a group of
 * its own from the end ({@code latest}: what happened before it started, it resolves afresh). Until it has processed an
 * event that group has no committed offset, and a rebalance — the broker restarting — would start it from the end
 * again, skipping the events the registry's outbox relays right after the outage (an alias moved while the broker was
 * down never reached the scorer). Committing the position at the first assignment makes a later one resume from it.
 */
@ApplicationScoped
@Identifier("adapter-events-start")
public class AdapterEventsStart implements KafkaConsumerRebalanceListener {
    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(partitions));
        Map<TopicPartition, OffsetAndMetadata> start = new HashMap<>();
        for (TopicPartition p : partitions) {
            if (committed.get(p) == null) start.put(p, new OffsetAndMetadata(consumer.position(p)));
        }
        if (!start.isEmpty()) consumer.commitSync(start);
    }
}
