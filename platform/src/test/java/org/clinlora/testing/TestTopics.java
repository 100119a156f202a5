package org.clinlora.testing;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.clinlora.platform.process.OwnTopics;

/**
 * Kafka topics of this test run's own. The services publish and read fixed topics ({@code scores.requests},
 * {@code training.requests} … in their {@code application.properties}); in tests each gets {@code .test-<run>} appended
 * — for every service a test boots, in-process ({@link #config}) or from its jar ({@link #env}), and for the test's own
 * producers and consumers ({@link #of}). A consumer group of a test's own ({@link TestGroups}) is not enough: the
 * user's services running beside the tests on the same broker read the same topics in their own groups, so they would
 * score a test's notes, train a test's jobs into the user's bucket and publish results the test then counts twice. The
 * run's topics are deleted when its last scope closes ({@link #deleteRun}) or, at the latest, when the JVM ends.
 */
public final class TestTopics {
    static {
        Runtime.getRuntime().addShutdownHook(new Thread(TestTopics::deleteRun, "delete-test-topics"));
    }

    private TestTopics() {}

    /** This run's name for {@code topic}: what a test produces to and consumes from. */
    public static String of(String topic) {
        return topic + suffix();
    }

    private static String suffix() {
        return ".test-" + TestBucket.run();
    }

    /** Config overrides for an in-process application: each topic it names, this run's. */
    public static Map<String, String> config(Properties app) {
        return OwnTopics.config(app, suffix());
    }

    /**
     * Environment variables for {@code <svc>-svc} started from its jar: each topic it names, this run's; a variable in
     * {@code given} (the test chose a topic itself) is left to it.
     */
    public static Map<String, String> env(String svc, Map<String, String> given) {
        Map<String, String> out = new LinkedHashMap<>(OwnTopics.env(TestGroups.ofJar(svc), suffix()));
        out.keySet().removeAll(given.keySet());
        return out;
    }

    /** Deletes this run's topics from the local broker when it is up (a broker this run stopped keeps none new). */
    public static void deleteRun() {
        if (!LocalInfra.portOpen(LocalInfra.KAFKA_PORT)) return;
        String suffix = suffix();
        try (Admin admin = Admin.create(Map.of(
                "bootstrap.servers", LocalInfra.KAFKA_BOOTSTRAP,
                "request.timeout.ms", 10_000,
                "default.api.timeout.ms", 20_000))) {
            Set<String> ours = admin.listTopics().names().get(20, TimeUnit.SECONDS).stream()
                    .filter(t -> t.endsWith(suffix))
                    .collect(Collectors.toSet());
            if (!ours.isEmpty()) admin.deleteTopics(ours).all().get(20, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            System.err.println("test topics *" + suffix + " not deleted: " + e); // the next run's names differ
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
