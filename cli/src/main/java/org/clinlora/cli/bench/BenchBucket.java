package org.clinlora.cli.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.clinlora.cli.client.LocalBucket;
import org.clinlora.platform.process.OwnTopics;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.S3Settings;
import org.clinlora.platform.store.ScratchBucket;
import picocli.CommandLine.Option;

/**
 * {@code --bucket NAME} / {@code --keep} of the benches that start their own services: where the base model, staged
 * adapters, datasets and published versions of the run go. By default a new {@code bench-<id>} bucket, removed with
 * everything in it when the bench ends, so that the user's own bucket (the one {@code ./clinlora demo} and the console
 * show) never fills with {@code bench-task-*} adapters; {@code --keep} leaves it for a look afterwards, and
 * {@code --bucket} names an existing bucket, used and left as it is.
 */
final class BenchBucket {
    /** The shared input of each service the benches start (channel), read in a group of the bench's own instead. */
    private static final Map<String, String> INPUTS =
            Map.of("tokenizer", "notes-raw", "trainer", "training-requests", "scorer", "scores-requests");

    @Option(
            names = "--bucket",
            paramLabel = "NAME",
            description =
                    "an existing bucket to use and leave as it is (default: a new bench-<id> bucket, removed at the end)")
    String bucket;

    @Option(names = "--keep", description = "keep the new bench bucket at the end (its name is printed)")
    boolean keep;

    /** The bucket of this run: {@code --bucket}, else a new one. */
    InUse open() {
        if (bucket != null) return configured(bucket);
        ScratchBucket made = ScratchBucket.create(
                LocalBucket.settings(), "bench-" + UUID.randomUUID().toString().substring(0, 8));
        System.out.println("bench bucket " + made.name() + (keep ? " (kept afterwards)" : " (removed afterwards)"));
        return new InUse(made.settings(), new ObjectStore(made.settings()), keep ? null : made);
    }

    /** For a bench against a running service: {@code --bucket}, else the configured one (CLINLORA_S3_BUCKET). */
    InUse openConfigured() {
        return configured(bucket != null ? bucket : LocalBucket.settings().bucket());
    }

    private static InUse configured(String name) {
        S3Settings s = LocalBucket.settings().withBucket(name);
        ObjectStore store = new ObjectStore(s);
        if (!store.bucketExists())
            throw new IllegalStateException(
                    "bucket " + name + " not found at " + s.endpoint() + " (./clinlora infra up)");
        return new InUse(s, store, null);
    }

    /** The bucket a bench run works in; closing removes it when the run made it (and {@code --keep} was not given). */
    record InUse(S3Settings settings, ObjectStore store, ScratchBucket made) implements AutoCloseable {
        String name() {
            return settings.bucket();
        }

        /**
         * What a service the bench starts needs to work in this bucket, with topics of the run's own (each topic the
         * service names, {@code .<bucket>} appended: the user's services on the same broker never see the bench's
         * records, nor the bench theirs) and, for one that reads a shared topic, a consumer group of the run's own from
         * the topic's end.
         */
        Map<String, String> env(String svc) {
            Map<String, String> env = new LinkedHashMap<>();
            env.put("CLINLORA_S3_BUCKET", name());
            env.putAll(OwnTopics.env(OwnTopics.ofQuarkusApp(ServiceJars.jar(svc).getParent()), "." + name()));
            String channel = INPUTS.get(svc);
            if (channel != null) {
                String prefix = "MP_MESSAGING_INCOMING_"
                        + channel.toUpperCase(Locale.ROOT).replace('-', '_');
                env.put(prefix + "_GROUP_ID", svc + "-svc-" + name());
                env.put(prefix + "_AUTO_OFFSET_RESET", "latest");
            }
            return env;
        }

        @Override
        public void close() {
            if (made != null) made.close();
        }
    }
}
