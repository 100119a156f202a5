package org.clinlora.registry.versions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.task.ProblemType;
import org.clinlora.model.train.PaperDefaults;
import org.clinlora.platform.events.AdapterDeleted;
import org.clinlora.platform.events.AdapterPublished;
import org.clinlora.platform.events.AliasMoved;
import org.clinlora.platform.events.Event;
import org.clinlora.platform.failure.Conflict;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.failure.Unprocessable;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.PublishRequest;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.registry.events.AdapterEvents;
import org.clinlora.testing.InMemoryBlobStore;
import org.clinlora.testing.TestAdapters;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry's parts over an in-memory store, without Kafka or S3: the claim protocol, publication, aliases with
 * compare-and-set, lineage, the deletion rules and the janitor. (AdaptersApiTest covers the same through HTTP and
 * S3Proxy.)
 */
class RegistryPartsTest {
    @TempDir
    static Path dir;

    static LlamaConfig base;
    static Path clinicalFiles, losFiles;

    InMemoryBlobStore blobs;
    List<Event> events;
    VersionClaims claims;
    Cards cards;
    AliasLog aliases;
    VersionCatalog catalog;
    VersionPublisher publisher;
    VersionDeletion deletion;

    @BeforeAll
    static void adapters() throws IOException {
        base = TinyLlama.write(dir.resolve("base"), new TinyLlama.Spec(600, 32, 2, 4, 2, 96, 256, false, 3));
        clinicalFiles = TestAdapters.write(dir.resolve("clinical"), PaperDefaults.clinicalLora(), base, 0, 1);
        losFiles = TestAdapters.write(dir.resolve("los"), PaperDefaults.downstreamLora(), base, 4, 2);
    }

    @BeforeEach
    void parts() throws IOException {
        blobs = new InMemoryBlobStore();
        ModelStore models = new ModelStore(blobs);
        models.upload("tiny", dir.resolve("base"));
        events = new CopyOnWriteArrayList<>(); // the racing-publishers test emits from four threads
        AdapterEvents recorder = new AdapterEvents(null, blobs) {
            @Override
            public void announce(String adapterName, Event event) {
                events.add(event);
            }
        };
        var meters = new SimpleMeterRegistry();
        claims = new VersionClaims(blobs);
        cards = new Cards(blobs);
        aliases = new AliasLog(blobs, cards, recorder);
        catalog = new VersionCatalog(blobs, cards, claims, aliases, meters);
        publisher = new VersionPublisher(blobs, models, cards, claims, catalog, recorder, meters);
        deletion = new VersionDeletion(blobs, cards, aliases, recorder);
    }

    static Map<String, Path> files(Path d) throws IOException {
        Map<String, Path> out = new LinkedHashMap<>();
        try (var s = Files.list(d)) {
            s.forEach(f -> out.put(f.getFileName().toString(), f));
        }
        return out;
    }

    AdapterCard publishClinical() throws IOException {
        return publisher.publish(
                "clinical",
                files(clinicalFiles),
                new PublishRequest(
                        "clinical-lm", null, null, null, "tiny", null, List.of("ds"), Map.of(), Map.of(), null),
                "alice");
    }

    AdapterCard publishLos(String parent) throws IOException {
        return publisher.publish(
                "los",
                files(losFiles),
                new PublishRequest(
                        "los",
                        List.of("a", "b", "c", "d"),
                        ProblemType.SINGLE_LABEL,
                        null,
                        "tiny",
                        parent,
                        List.of("ds"),
                        Map.of(),
                        Map.of(),
                        null),
                "bob");
    }

    @Test
    void racingPublishersGetDistinctVersions() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<AdapterCard>> f = new ArrayList<>();
            for (int i = 0; i < 4; i++) f.add(pool.submit(this::publishClinical));
            List<Integer> versions = new ArrayList<>();
            for (Future<AdapterCard> x : f) versions.add(x.get().version());
            assertEquals(List.of(1, 2, 3, 4), versions.stream().sorted().toList());
        } finally {
            pool.shutdown();
        }
        assertEquals(
                4, events.stream().filter(e -> e instanceof AdapterPublished).count());
    }

    @Test
    void aVersionResolvesWithItsLineageAndCarriesItsTypedHeadFields() throws IOException {
        publishClinical();
        AdapterCard los = publishLos("clinical@1");
        assertEquals(ProblemType.SINGLE_LABEL, los.problemType());
        VersionCatalog.Resolved r = catalog.resolve("los@1");
        assertEquals(
                List.of("clinical@1", "los@1"),
                r.lineage().stream().map(AdapterCard::ref).toList());
        assertThrows(
                NotFound.class, () -> catalog.resolve("los"), "a bare name means production, which does not exist yet");
    }

    @Test
    void anAliasMovesByCompareAndSetAndKeepsItsHistory() throws IOException {
        publishClinical();
        publishClinical();
        aliases.move("clinical", "production", 1, null, "alice");
        assertThrows(Conflict.class, () -> aliases.move("clinical", "production", 2, null, "bob"), "stale");
        AliasLog.AliasState s = aliases.move("clinical", "production", 2, 1, "bob");
        assertEquals(2, s.version());
        assertEquals(
                List.of(1, 2),
                s.history().stream().map(AliasLog.AliasChange::version).toList());
        assertEquals(2, catalog.resolve("clinical").version());
        assertEquals(2, events.stream().filter(e -> e instanceof AliasMoved).count());
    }

    @Test
    void aVersionThatIsAliasedOrAParentCannotBeDeleted() throws IOException {
        publishClinical();
        publishLos("clinical@1");
        aliases.move("los", "production", 1, null, "ops");
        assertThrows(Conflict.class, () -> deletion.delete("clinical", 1, "ops"), "los@1 names it as parent");
        assertThrows(Conflict.class, () -> deletion.delete("los", 1, "ops"), "production points at it");
        publishLos("clinical@1");
        deletion.delete("los", 2, "ops");
        assertTrue(cards.card("los", 2).isEmpty());
        assertTrue(
                blobs.snapshot().containsKey(StoreLayout.version("los", 2) + StoreLayout.DELETED),
                "a tombstone keeps the number");
        assertEquals(3, publishLos("clinical@1").version(), "a deleted number is never reused");
        assertTrue(events.stream().anyMatch(e -> e instanceof AdapterDeleted));
    }

    @Test
    void aRefusedOrFailedPublishLeavesNothingAndTheJanitorRemovesOldClaims() throws IOException {
        Unprocessable bad = assertThrows(
                Unprocessable.class,
                () -> publisher.publish(
                        "los",
                        files(losFiles),
                        new PublishRequest(
                                "los",
                                List.of("a"),
                                ProblemType.SINGLE_LABEL,
                                null,
                                "tiny",
                                null,
                                List.of(),
                                Map.of(),
                                Map.of(),
                                null),
                        "carol"));
        assertEquals("invalid_adapter", bad.reason(), "the head has 4 labels");
        assertTrue(blobs.snapshot().keySet().stream().noneMatch(k -> k.startsWith("adapters/")), "nothing stored");

        blobs.put(
                StoreLayout.version("orphan", 1) + StoreLayout.CLAIM,
                "{\"claimedAt\":\"2020-01-01T00:00:00Z\"}".getBytes(),
                Map.of());
        blobs.put(StoreLayout.version("orphan", 1) + "adapter_model.safetensors", new byte[10], Map.of());
        assertEquals(1, claims.cleanLeftovers(Duration.ofMinutes(15)));
        assertFalse(blobs.snapshot().keySet().stream().anyMatch(k -> k.startsWith("adapters/orphan/")));
    }
}
