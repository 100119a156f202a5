package org.clinlora.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.testing.TestAuth;
import org.junit.jupiter.api.Test;

/**
 * registry-svc killed with SIGKILL while publications stream in: afterwards no version is visible that is not complete,
 * and each interrupted publication, retried the way trainer-svc retries (by job id), makes exactly one version.
 */
class RegistryCrashChaosIT {
    static final int PUBLICATIONS = 24;

    @Test
    void publicationsInterruptedByAKillArePublishedOnceWhenRetried() throws Exception {
        try (Cluster c = new Cluster()) {
            String model = "chaos-reg-" + c.run, name = "chaos-pub-" + c.run;
            LlamaConfig base = c.baseModel(model);
            List<String> labels = List.of("0", "1");
            List<String> prefixes = new ArrayList<>();
            for (int i = 0; i < PUBLICATIONS; i++) prefixes.add(c.stageAdapter(base, "pub" + i, labels, 100 + i));
            Cluster.Service registry = c.start("registry", Map.of());
            RegistryClient client = new RegistryClient(registry.url(), TestAuth::allRoles);

            // Two publishers, each going through its half of the job ids until a publication fails.
            AtomicInteger published = new AtomicInteger();
            Map<Integer, String> failed = new ConcurrentHashMap<>();
            List<Thread> publishers = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int first = t;
                Thread th = new Thread(() -> {
                    for (int i = first; i < PUBLICATIONS; i += 2) {
                        try {
                            client.publishOnce(
                                    name, prefixes.get(i), Cluster.card(name, model, labels, "job-" + i), "job-" + i);
                            published.incrementAndGet();
                        } catch (IOException | RuntimeException e) {
                            failed.put(i, e.getClass().getSimpleName());
                            for (int j = i + 2; j < PUBLICATIONS; j += 2) failed.put(j, "not tried");
                            return;
                        }
                    }
                });
                th.start();
                publishers.add(th);
            }
            Cluster.awaitTrue("a few publications went through", Duration.ofSeconds(60), () -> published.get() >= 4);
            c.kill(registry);
            for (Thread th : publishers) th.join(60_000);
            int before = published.get();
            assertTrue(!failed.isEmpty(), "the kill interrupted the stream");
            long killedAt = System.nanoTime();
            c.restart(registry);
            double restartSeconds = (System.nanoTime() - killedAt) / 1e9;

            // Every visible version is whole: its files download and match the card's sha256s.
            List<AdapterCard> visible = client.versions(name);
            for (AdapterCard card : visible)
                client.download(card, c.dir.resolve("check").resolve(String.valueOf(card.version())));
            int interruptedButCommitted = 0;
            for (int i : failed.keySet())
                if (!"not tried".equals(failed.get(i))
                        && client.publishedBy(name, "job-" + i).isPresent()) interruptedButCommitted++;

            // The retry, as the trainer makes it: by job id, for every publication that did not answer.
            for (int i : new TreeMap<>(failed).keySet())
                client.publishOnce(name, prefixes.get(i), Cluster.card(name, model, labels, "job-" + i), "job-" + i);
            Map<String, Integer> perJob = new TreeMap<>();
            for (AdapterCard card : client.versions(name))
                perJob.merge(String.valueOf(card.trainingConfig().get("jobId")), 1, Integer::sum);
            assertEquals(PUBLICATIONS, perJob.size(), perJob.toString());
            perJob.forEach((job, n) -> assertEquals(1, n, job + " published once"));
            System.out.printf(
                    "RESULT chaos registry: %d publications answered before the kill, %d interrupted in flight (%d of them had been committed), "
                            + "%d versions visible after the restart (%.1f s), all whole; after the retries %d versions, one per job%n",
                    before,
                    failed.values().stream().filter(v -> !v.equals("not tried")).count(),
                    interruptedButCommitted,
                    visible.size(),
                    restartSeconds,
                    perJob.size());
        }
    }
}
