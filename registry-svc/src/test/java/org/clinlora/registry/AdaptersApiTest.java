package org.clinlora.registry;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.clinlora.model.io.Sha256;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.train.PaperDefaults;
import org.clinlora.platform.api.Problem;
import org.clinlora.platform.auth.Roles;
import org.clinlora.platform.events.AdapterDeleted;
import org.clinlora.platform.events.AliasMoved;
import org.clinlora.platform.events.Event;
import org.clinlora.platform.events.Events;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.registry.events.AdapterEvents;
import org.clinlora.registry.versions.VersionClaims;
import org.clinlora.testing.KafkaTestClients;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalInfraResource;
import org.clinlora.testing.TestAdapters;
import org.clinlora.testing.TestAuth;
import org.clinlora.testing.TestTopics;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The registry's promises, through its REST API, against the real S3Proxy and Kafka from infra/. */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class AdaptersApiTest {
    static Path work;
    static String base;
    static LlamaConfig baseConfig;
    static Path clinical, downstream, badShapes;

    /** The raw bucket, to arrange and inspect it behind the service's back. */
    @Inject
    ObjectStore bucket;

    @Inject
    ModelStore models;

    @Inject
    VersionClaims claims;

    @TestHTTPResource("/")
    URL root;

    @BeforeEach
    void setUp() throws Exception {
        if (base != null) return;
        work = Files.createTempDirectory("registry-test");
        base = "tiny-" + UUID.randomUUID().toString().substring(0, 8);
        baseConfig = TinyLlama.write(work.resolve("base"), new TinyLlama.Spec(600, 32, 2, 4, 2, 96, 256, false, 3));
        models.upload(base, work.resolve("base"));
        clinical = TestAdapters.write(work.resolve("clinical"), PaperDefaults.clinicalLora(), baseConfig, 0, 1);
        downstream = TestAdapters.write(work.resolve("downstream"), PaperDefaults.downstreamLora(), baseConfig, 4, 2);
        // an adapter made for a wider model (hidden 48): its shapes cannot fit the registered base
        LlamaConfig other =
                new LlamaConfig(600, 48, 96, 2, 4, 2, 12, 1e-6, 1e4, null, 256, false, 3, 1, 2, "float32", 0.02);
        badShapes = TestAdapters.write(work.resolve("bad"), PaperDefaults.clinicalLora(), other, 0, 3);
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static String card(String task, List<String> labels, String parent) {
        StringBuilder sb = new StringBuilder(
                "{\"task\":\"" + task + "\",\"baseModelId\":\"" + base + "\",\"datasetIds\":[\"ds-1\"],"
                        + "\"metrics\":{\"macro_auroc\":0.81},\"trainingConfig\":{\"lr\":0.0003}");
        if (labels != null)
            sb.append(",\"labelNames\":[\"")
                    .append(String.join("\",\"", labels))
                    .append("\"]");
        if (parent != null) sb.append(",\"parent\":\"").append(parent).append("\"");
        return sb.append("}").toString();
    }

    static RequestSpecification files(Path dir, String card) {
        RequestSpecification r = given();
        try (var s = Files.list(dir)) {
            for (Path f : s.toList()) r = r.multiPart(f.getFileName().toString(), f.toFile());
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        return card == null ? r : r.multiPart("card", card, "application/json");
    }

    static Response publish(String name, Path dir, String card) {
        return files(dir, card).post("/v1/adapters/" + name + "/versions");
    }

    static final List<String> LOS = List.of("0-3d", "3-7d", "7-14d", ">14d");

    @Inject
    AdapterEvents events;

    @Test
    void anAliasMovedWhileKafkaIsDownIsAnnouncedOnceWhenItIsBack() throws Exception {
        String name = unique("outage");
        publish(name, clinical, card("causal-lm", null, null)).then().statusCode(201);
        LocalInfra.stop("kafka");
        long restarted;
        try {
            long t0 = System.nanoTime();
            given().contentType("application/json")
                    .body("{\"version\":1}")
                    .put("/v1/adapters/" + name + "/aliases/production")
                    .then()
                    .statusCode(200);
            System.out.printf(
                    "RESULT alias moved with Kafka down: answered in %.1f s, %d event(s) in the outbox%n",
                    (System.nanoTime() - t0) / 1e9, events.pending());
            Assertions.assertTrue(events.pending() >= 1, "the event waits in the outbox");
        } finally {
            LocalInfra.startIfDown("kafka", LocalInfra.KAFKA_PORT);
            restarted = System.nanoTime();
        }
        List<AliasMoved> seen = new ArrayList<>();
        try (var consumer = KafkaTestClients.consumer(TestTopics.of("adapters.events"))) {
            long end = System.nanoTime() + Duration.ofSeconds(150).toNanos();
            Long announced = null;
            while (System.nanoTime() < end && (announced == null || System.nanoTime() - announced < 5_000_000_000L)) {
                for (var r : consumer.poll(Duration.ofMillis(500))) {
                    if (!name.equals(r.key())) continue;
                    if (Events.parse(r.value()) instanceof AliasMoved m) {
                        seen.add(m);
                        if (announced == null) announced = System.nanoTime();
                    }
                }
            }
            System.out.printf(
                    "RESULT AliasMoved announced %.1f s after Kafka was started again; seen %d time(s); outbox now %d%n",
                    announced == null ? -1 : (announced - restarted) / 1e9, seen.size(), events.pending());
        }
        Assertions.assertEquals(1, seen.size(), "announced once: " + seen);
        Assertions.assertEquals(1, seen.get(0).version());
    }

    @Test
    void publishListResolveAliasAndDownloadMatchingSha256() throws Exception {
        String name = unique("clinical");
        publish(name, clinical, card("causal-lm", null, null))
                .then()
                .statusCode(201)
                .body("version", equalTo(1))
                .body("baseModel.id", equalTo(base))
                .body(
                        "files.'adapter_model.safetensors'.sha256",
                        equalTo(Sha256.of(clinical.resolve("adapter_model.safetensors"))));
        given().queryParam("limit", 1000)
                .get("/v1/adapters")
                .then()
                .statusCode(200)
                .body("names", hasItem(name));
        given().get("/v1/adapters/" + name + "/versions").then().statusCode(200).body("size()", equalTo(1));
        given().contentType("application/json")
                .body("{\"version\":1}")
                .put("/v1/adapters/" + name + "/aliases/production")
                .then()
                .statusCode(200)
                .body("version", equalTo(1));
        given().get("/v1/adapters/" + name + "/resolve/production")
                .then()
                .statusCode(200)
                .body("version", equalTo(1))
                .body("lineage.size()", equalTo(1));

        Response r = given().get("/v1/adapters/" + name + "/versions/1/files/adapter_model.safetensors");
        r.then().statusCode(200);
        byte[] got = r.asByteArray();
        assertArrayEquals(Files.readAllBytes(clinical.resolve("adapter_model.safetensors")), got);
        assertEquals(Sha256.of(got), r.header("X-Checksum-Sha256"));

        String url = given().get("/v1/adapters/" + name + "/versions/1/files/adapter_config.json/url")
                .then()
                .statusCode(200)
                .extract()
                .path("url");
        try (var in = new URL(url).openStream()) {
            assertArrayEquals(
                    Files.readAllBytes(clinical.resolve("adapter_config.json")),
                    in.readAllBytes(),
                    "presigned URL serves the file");
        }
        given().get("/q/metrics")
                .then()
                .statusCode(200)
                .body(containsString("clinlora_registry_publish_total{outcome=\"ok\"}"))
                .body(containsString("clinlora_registry_publish_bytes_total"))
                .body(containsString("clinlora_registry_download_bytes_total"))
                .body(containsString("clinlora_registry_publish_latency_seconds_count"));
    }

    @Test
    void aVersionCanBePublishedFromFilesATrainerAlreadyWroteToTheStore() throws Exception {
        String name = unique("by-ref"), prefix = "jobs/" + UUID.randomUUID() + "/adapter/";
        try (var s = Files.list(downstream)) {
            for (Path f : s.toList()) bucket.put(prefix + f.getFileName(), f, Map.of());
        }
        given().contentType("application/json")
                .body("{\"sourcePrefix\":\"" + prefix + "\",\"card\":" + card("los", LOS, null) + "}")
                .post("/v1/adapters/" + name + "/versions/from-store")
                .then()
                .statusCode(201)
                .body("version", equalTo(1))
                .body("taskType", equalTo("SEQ_CLS"));
        assertArrayEquals(
                Files.readAllBytes(downstream.resolve("adapter_model.safetensors")),
                given().get("/v1/adapters/" + name + "/versions/1/files/adapter_model.safetensors")
                        .then()
                        .statusCode(200)
                        .extract()
                        .asByteArray());
        given().contentType("application/json")
                .body("{\"sourcePrefix\":\"adapters/" + name + "/1/\",\"card\":" + card("los", LOS, null) + "}")
                .post("/v1/adapters/" + name + "/versions/from-store")
                .then()
                .statusCode(400);
        given().contentType("application/json")
                .body("{\"sourcePrefix\":\"jobs/none/\",\"card\":" + card("los", LOS, null) + "}")
                .post("/v1/adapters/" + name + "/versions/from-store")
                .then()
                .statusCode(404);
    }

    @Test
    void stackedAdapterRecordsItsParentAndResolvesItsLineageParentFirst() {
        String clin = unique("clinical"), task = unique("los");
        publish(clin, clinical, card("causal-lm", null, null)).then().statusCode(201);
        given().contentType("application/json")
                .body("{\"version\":1}")
                .put("/v1/adapters/" + clin + "/aliases/production")
                .then()
                .statusCode(200);
        publish(task, downstream, card("los", LOS, clin + "@production"))
                .then()
                .statusCode(201)
                .body("parent", equalTo(clin + "@1"))
                .body("labelNames.size()", equalTo(4));
        given().get("/v1/adapters/" + task + "/resolve/1")
                .then()
                .statusCode(200)
                .body("lineage[0].name", equalTo(clin))
                .body("lineage[1].name", equalTo(task));
    }

    @Test
    void eightConcurrentPublishesOfOneNameGetVersionsOneToEight() throws Exception {
        String name = unique("race");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> results = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            results.add(pool.submit(() -> {
                go.await();
                return publish(name, clinical, card("causal-lm", null, null))
                        .then()
                        .statusCode(201)
                        .extract()
                        .<Integer>path("version");
            }));
        }
        go.countDown();
        Set<Integer> versions = new TreeSet<>();
        for (Future<Integer> f : results) versions.add(f.get());
        pool.shutdown();
        assertEquals(Set.of(1, 2, 3, 4, 5, 6, 7, 8), versions);
        given().get("/v1/adapters/" + name + "/versions")
                .then()
                .statusCode(200)
                .body("size()", equalTo(8))
                .body("version", equalTo(List.of(1, 2, 3, 4, 5, 6, 7, 8)));
    }

    @Test
    void ofTwoConcurrentAliasMovesFromTheSameVersionExactlyOneWins() throws Exception {
        String name = unique("alias");
        for (int i = 0; i < 3; i++)
            publish(name, clinical, card("causal-lm", null, null)).then().statusCode(201);
        given().contentType("application/json")
                .body("{\"version\":1}")
                .put("/v1/adapters/" + name + "/aliases/staging")
                .then()
                .statusCode(200);
        given().contentType("application/json")
                .body("{\"version\":2}")
                .put("/v1/adapters/" + name + "/aliases/staging")
                .then()
                .statusCode(409)
                .contentType(containsString(Problem.MEDIA_TYPE))
                .body("status", equalTo(409));
        for (int round = 0; round < 10; round++) {
            int from = round == 0
                    ? 1
                    : given().get("/v1/adapters/" + name + "/aliases/staging")
                            .then()
                            .extract()
                            .<Integer>path("version");
            int a = from == 2 ? 3 : 2, b = from == 3 ? 1 : 3;
            CountDownLatch go = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            List<Future<Integer>> codes = new ArrayList<>();
            for (int target : new int[] {a, b}) {
                Callable<Integer> move = () -> {
                    go.await();
                    return given().contentType("application/json")
                            .body("{\"version\":" + target + ",\"expectedVersion\":" + from + "}")
                            .put("/v1/adapters/" + name + "/aliases/staging")
                            .statusCode();
                };
                codes.add(pool.submit(move));
            }
            go.countDown();
            List<Integer> got = new ArrayList<>();
            for (Future<Integer> f : codes) got.add(f.get());
            pool.shutdown();
            got.sort(null);
            assertEquals(List.of(200, 409), got, "round " + round);
        }
        given().get("/v1/adapters/" + name + "/aliases/staging")
                .then()
                .statusCode(200)
                .body("history.size()", equalTo(11));
    }

    /** Requests the HTTP server saw end without an answer (a client gone mid-body), as its Micrometer metrics count. */
    /** Reads until the server ends the connection: true at end of stream or a reset, false if it stays open. */
    static boolean serverClosed(InputStream in) {
        try {
            while (in.read() >= 0) {}
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by the server
        }
    }

    @Test
    void anUploadCutMidwayLeavesNoVersionAndCrashLeftoversAreCleaned() throws Exception {
        String name = unique("cut");
        publish(name, clinical, card("causal-lm", null, null)).then().statusCode(201);
        // A client that dies mid-body: headers promise 20 MB, a few KB arrive, then the socket closes.
        try (Socket s = new Socket(root.getHost(), root.getPort())) {
            OutputStream out = s.getOutputStream();
            String boundary = "cutcutcut";
            out.write(("POST /v1/adapters/" + name
                            + "/versions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                            + TestAuth.token(Roles.PUBLISHER)
                            + "\r\nContent-Type: multipart/form-data; boundary="
                            + boundary + "\r\nContent-Length: 20000000\r\n\r\n--" + boundary
                            + "\r\nContent-Disposition: form-data; name=\"adapter_model.safetensors\"; filename=\"adapter_model.safetensors\"\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[4096]);
            out.flush();
            // The client goes away mid-body. The server closing its side of the connection is the proof that it has
            // given the request up (it never reached the resource), so what follows looks after the request ended.
            s.shutdownOutput();
            s.setSoTimeout(30_000);
            assertTrue(serverClosed(s.getInputStream()), "the server never gave the cut upload up");
        }
        // A registry process that died after claiming version 2 and writing part of a file.
        String dir = StoreLayout.version(name, 2);
        bucket.put(dir + StoreLayout.CLAIM, "{\"claimedAt\":\"2020-01-01T00:00:00Z\"}".getBytes(), Map.of());
        bucket.put(dir + "adapter_model.safetensors", new byte[100], Map.of());
        given().get("/v1/adapters/" + name + "/versions").then().statusCode(200).body("size()", equalTo(1));
        given().get("/v1/adapters/" + name + "/versions/2")
                .then()
                .statusCode(404)
                .contentType(containsString(Problem.MEDIA_TYPE))
                .body("reason", equalTo("not_found"));

        assertTrue(claims.cleanLeftovers(Duration.ofMinutes(15)) >= 1);
        assertTrue(bucket.list(dir).isEmpty(), "leftovers removed");
        publish(name, clinical, card("causal-lm", null, null))
                .then()
                .statusCode(201)
                .body("version", equalTo(2));
    }

    @Test
    void tamperedBytesInTheStoreAreRefusedOnDownload() throws Exception {
        String name = unique("tamper");
        publish(name, clinical, card("causal-lm", null, null)).then().statusCode(201);
        String key = StoreLayout.version(name, 1) + "adapter_model.safetensors";
        byte[] bytes = bucket.getBytes(key).orElseThrow();
        bytes[bytes.length - 1] ^= 0x01;
        bucket.put(key, bytes, Map.of());
        given().get("/v1/adapters/" + name + "/versions/1/files/adapter_model.safetensors")
                .then()
                .statusCode(500)
                .contentType(containsString(Problem.MEDIA_TYPE))
                .body("status", equalTo(500))
                .body("reason", equalTo("integrity_error"))
                .body("detail", containsString("sha256"));
    }

    @Test
    void deleteIsRefusedWhileAnAliasOrAChildNeedsTheVersionAndNumbersAreNeverReused() {
        String parent = unique("parent"), child = unique("child");
        publish(parent, clinical, card("causal-lm", null, null)).then().statusCode(201);
        publish(parent, clinical, card("causal-lm", null, null)).then().statusCode(201);
        given().contentType("application/json")
                .body("{\"version\":1}")
                .put("/v1/adapters/" + parent + "/aliases/production")
                .then()
                .statusCode(200);
        publish(child, downstream, card("los", LOS, parent + "@1")).then().statusCode(201);

        given().delete("/v1/adapters/" + parent + "/versions/1")
                .then()
                .statusCode(409)
                .body("detail", containsString("production"));
        given().contentType("application/json")
                .body("{\"version\":2,\"expectedVersion\":1}")
                .put("/v1/adapters/" + parent + "/aliases/production")
                .then()
                .statusCode(200);
        given().delete("/v1/adapters/" + parent + "/versions/1")
                .then()
                .statusCode(409)
                .body("detail", containsString(child + "@1"));
        given().delete("/v1/adapters/" + child + "/versions/1").then().statusCode(204);
        given().delete("/v1/adapters/" + parent + "/versions/1").then().statusCode(204);
        given().get("/v1/adapters/" + parent + "/versions").then().body("version", equalTo(List.of(2)));
        publish(parent, clinical, card("causal-lm", null, null))
                .then()
                .statusCode(201)
                .body("version", equalTo(3));
        given().delete("/v1/adapters/" + parent + "/versions/1").then().statusCode(404);
    }

    @Test
    void publishAliasAndDeleteAreAnnouncedOnAdaptersEventsKeyedByName() throws Exception {
        String name = unique("events");
        publish(name, clinical, card("causal-lm", null, null)).then().statusCode(201);
        publish(name, clinical, card("causal-lm", null, null)).then().statusCode(201);
        given().contentType("application/json")
                .body("{\"version\":2}")
                .put("/v1/adapters/" + name + "/aliases/production")
                .then()
                .statusCode(200);
        given().delete("/v1/adapters/" + name + "/versions/1").then().statusCode(204);

        Properties p = new Properties();
        p.put("bootstrap.servers", LocalInfra.KAFKA_BOOTSTRAP);
        p.put("group.id", "test-" + name);
        p.put("auto.offset.reset", "earliest");
        p.put("key.deserializer", StringDeserializer.class.getName());
        p.put("value.deserializer", StringDeserializer.class.getName());
        List<Event> seen = new ArrayList<>();
        try (var consumer = new KafkaConsumer<String, String>(p)) {
            consumer.subscribe(List.of(TestTopics.of("adapters.events")));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (seen.size() < 4 && System.nanoTime() < deadline) {
                for (var r : consumer.poll(Duration.ofMillis(500))) {
                    if (name.equals(r.key())) seen.add(Events.parse(r.value()));
                }
            }
        }
        assertEquals(
                List.of("AdapterPublished", "AdapterPublished", "AliasMoved", "AdapterDeleted"),
                seen.stream().map(Event::type).toList());
        var moved = (AliasMoved) seen.get(2);
        assertEquals(2, moved.version());
        assertEquals("production", moved.alias());
        assertEquals(4, seen.stream().map(Event::eventId).distinct().count(), "event ids are unique");
        assertEquals(1, ((AdapterDeleted) seen.get(3)).version());
    }

    @Test
    void badPublicationsAreClear4xxAndLeaveNothing() throws Exception {
        String name = unique("bad");
        publish(name, badShapes, card("causal-lm", null, null))
                .then()
                .statusCode(422)
                .contentType(containsString(Problem.MEDIA_TYPE))
                .body("status", equalTo(422))
                .body("reason", equalTo("invalid_adapter"))
                .body("detail", containsString("base model imply"));
        publish(name, downstream, card("los", List.of("a", "b"), null))
                .then()
                .statusCode(422)
                .body("detail", containsString("labelNames"));
        publish(name, clinical, card("causal-lm", null, null).replace(base, "no-such-base"))
                .then()
                .statusCode(422)
                .body("detail", containsString("unknown base model"));
        publish(name, clinical, null).then().statusCode(400).body("detail", containsString("card"));
        publish(name, clinical, card("causal-lm", null, null).replace("\"task\"", "\"tusk\""))
                .then()
                .statusCode(400);
        publish(name, clinical, card("causal-lm", null, "nope@1")).then().statusCode(404);
        Path pickle = Files.createTempFile("adapter_model", ".bin");
        files(clinical, card("causal-lm", null, null))
                .multiPart("adapter_model.bin", pickle.toFile())
                .post("/v1/adapters/" + name + "/versions")
                .then()
                .statusCode(400)
                .body("detail", containsString("pickle"));
        Path extra = Files.createTempFile("x", ".txt");
        files(clinical, card("causal-lm", null, null))
                .multiPart("notes.txt", extra.toFile())
                .post("/v1/adapters/" + name + "/versions")
                .then()
                .statusCode(400)
                .body("detail", containsString("unknown file"));
        publish("Bad/Name", clinical, card("causal-lm", null, null)).then().statusCode(404);
        publish("UPPER", clinical, card("causal-lm", null, null))
                .then()
                .statusCode(400)
                .contentType(containsString(Problem.MEDIA_TYPE))
                .body("reason", equalTo("invalid_request"));
        given().get("/v1/adapters/" + name + "/versions").then().statusCode(200).body("size()", equalTo(0));
        assertTrue(bucket.list(StoreLayout.adapter(name)).isEmpty(), "a refused publication writes nothing");
    }

    @Test
    void aSafetensorsHeaderClaimingATerabyteIsRefusedBeforeAnythingIsAllocated() throws Exception {
        String name = unique("huge-header");
        for (long claimed : new long[] {1L << 40, 90L * 1024 * 1024, -1}) {
            Path dir = Files.createTempDirectory("huge-header");
            Files.copy(clinical.resolve("adapter_config.json"), dir.resolve("adapter_config.json"));
            // 8-byte little-endian header length, then 8 bytes: the file is 16 bytes long whatever the header claims.
            Files.write(
                    dir.resolve("adapter_model.safetensors"),
                    ByteBuffer.allocate(16)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .putLong(claimed)
                            .putLong(0)
                            .array());
            Response r = publish(name, dir, card("causal-lm", null, null));
            assertEquals(422, r.statusCode(), r.asString());
            assertTrue(r.asString().contains("out of bounds"), "the reason names the bad header: " + r.asString());
        }
        assertTrue(bucket.list(StoreLayout.adapter(name)).isEmpty(), "nothing stored");
        given().get("/q/health/ready").then().statusCode(200);
    }
}
