package org.clinlora.testing;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.clinlora.platform.process.OwnTopics;

/**
 * Consumer groups of a test scope's own for a service's shared inputs. A service reads {@code training.requests},
 * {@code notes.raw} or {@code scores.requests} in a group with a fixed name ({@code trainer-svc} …) from its
 * {@code application.properties}; in tests that name gets the scope's bucket appended, so a test's service never takes
 * records meant for another test's service or for the user's own services on the same broker, and the other way round.
 * A new group is positioned at the end of its topic before the service starts: it reads what is sent from then on, not
 * the topic's history (a group without offsets would start from the earliest record, as the services are configured).
 */
public final class TestGroups {
    private static final Pattern GROUP_KEY = Pattern.compile("mp\\.messaging\\.incoming\\.([^.]+)\\.group\\.id");

    private TestGroups() {}

    /** An input channel with a fixed group name: its topic, its group, and the group the scope uses instead. */
    record Input(String channel, String topic, String group, String scopeGroup) {
        String property() {
            return "mp.messaging.incoming." + channel + ".group.id";
        }

        /** The environment form SmallRye Config maps onto {@link #property()}. */
        String variable() {
            return OwnTopics.variable(property());
        }
    }

    /** The inputs of the application whose configuration is {@code app}, each with a group of {@code scope}'s own. */
    static List<Input> inputs(Properties app, String scope) {
        return app.stringPropertyNames().stream()
                .sorted()
                .map(GROUP_KEY::matcher)
                .filter(Matcher::matches)
                .filter(m -> !app.getProperty(m.group()).contains("${")) // per instance already (the scorer's events)
                .map(m -> {
                    String channel = m.group(1),
                            group = app.getProperty(m.group()).trim();
                    String topic =
                            TestTopics.of(app.getProperty("mp.messaging.incoming." + channel + ".topic", channel));
                    return new Input(channel, topic, group, group + "-" + scope);
                })
                .toList();
    }

    /** Config overrides for an in-process application: its groups for {@code scope}, positioned at the topics' ends. */
    public static Map<String, String> config(Properties app, String scope) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Input in : inputs(app, scope)) {
            positionAtEnd(in.scopeGroup(), in.topic());
            out.put(in.property(), in.scopeGroup());
        }
        return out;
    }

    /**
     * Environment variables for {@code <svc>-svc} started from its jar: its groups for {@code scope}, positioned at the
     * topics' ends; a variable in {@code given} (the test chose a group itself) is left to it.
     */
    public static Map<String, String> env(String svc, String scope, Map<String, String> given) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Input in : inputs(ofJar(svc), scope)) {
            if (given.containsKey(in.variable())) continue;
            positionAtEnd(in.scopeGroup(), in.topic());
            out.put(in.variable(), in.scopeGroup());
        }
        return out;
    }

    /** The {@code application.properties} inside {@code <svc>-svc}'s built application jar (empty when not built). */
    static Properties ofJar(String svc) {
        return OwnTopics.ofQuarkusApp(LocalInfra.repoRoot().resolve(svc + "-svc/target/quarkus-app"));
    }

    /**
     * Commits the end of every partition of {@code topic} as {@code group}'s offsets, unless the group has offsets
     * already (a replica of the same scope started before) or the topic does not exist yet (nothing to skip).
     */
    static void positionAtEnd(String group, String topic) {
        if (!LocalInfra.portOpen(LocalInfra.KAFKA_PORT)) return; // no broker in this scope: nothing consumes
        try (Admin admin = Admin.create(Map.of(
                "bootstrap.servers", LocalInfra.KAFKA_BOOTSTRAP,
                "request.timeout.ms", 15_000,
                "default.api.timeout.ms", 30_000))) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS);
            if (!committed.isEmpty()) return;
            TopicDescription d;
            try {
                d = admin.describeTopics(List.of(topic))
                        .allTopicNames()
                        .get(30, TimeUnit.SECONDS)
                        .get(topic);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof UnknownTopicOrPartitionException) return;
                throw e;
            }
            Map<TopicPartition, OffsetSpec> latest = new LinkedHashMap<>();
            d.partitions().forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            Map<TopicPartition, OffsetAndMetadata> ends = new LinkedHashMap<>();
            admin.listOffsets(latest)
                    .all()
                    .get(30, TimeUnit.SECONDS)
                    .forEach((tp, info) -> ends.put(tp, new OffsetAndMetadata(info.offset())));
            admin.alterConsumerGroupOffsets(group, ends).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot position consumer group " + group + " on " + topic, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
