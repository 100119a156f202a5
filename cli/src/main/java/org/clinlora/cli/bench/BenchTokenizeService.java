package org.clinlora.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.clinlora.cli.client.CliAuth;
import org.clinlora.cli.client.LocalBucket;
import org.clinlora.cli.client.Refusals;
import org.clinlora.model.io.Sha256;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;

/**
 * The service path of {@code bench tokenize}: the same notes through a running tokenizer-svc, as POST /v1/tokenize
 * calls of 64 notes (one client, JSON both ways) and as one causal-LM dataset build from an uploaded CSV (normalise,
 * tokenize, pack, write shards to the object store), timed from the POST until the build reports ready.
 */
final class BenchTokenizeService {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BATCH = 64;

    static void run(String url, Path model, List<String> texts, long bytes, int rounds, double anchor)
            throws IOException {
        ObjectStore store = LocalBucket.open();
        Path tokenizerJson = model.resolve("tokenizer.json");
        String modelId = "bench-tok-" + Sha256.of(tokenizerJson).substring(0, 12);
        new ModelStore(store).upload(modelId, model);
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

        double[] rest = tokenizeRounds(http, url, modelId, texts, rounds);
        BenchTokenizeCommand.row("service: POST /v1/tokenize, batches of " + BATCH, texts.size(), bytes, rest, anchor);

        byte[] csv = mimicCsv(texts);
        int buildRounds = Math.min(rounds, 3);
        double[] build = new double[buildRounds];
        for (int r = 0; r < buildRounds; r++) {
            long t0 = System.nanoTime();
            buildDataset(http, url, modelId, csv);
            build[r] = Timing.secondsSince(t0);
        }
        BenchTokenizeCommand.row("service: dataset build (upload to ready)", texts.size(), bytes, build, anchor);
        System.out.printf(
                "service %s, model %s in the store; dataset builds: causal_lm, seq len 512, %d rounds (median)%n",
                url, modelId, buildRounds);
    }

    /** Seconds of each round of POST /v1/tokenize calls over every note, after a round that warms the service. */
    private static double[] tokenizeRounds(HttpClient http, String url, String modelId, List<String> texts, int rounds)
            throws IOException {
        double[] rest = new double[rounds];
        for (int r = -1; r < rounds; r++) { // round -1 warms the service (its tokenizer loads on first use)
            long t0 = System.nanoTime();
            for (int i = 0; i < texts.size(); i += BATCH) {
                byte[] body = JSON.writeValueAsBytes(Map.of(
                        "model",
                        modelId,
                        "texts",
                        texts.subList(i, Math.min(texts.size(), i + BATCH)),
                        "maxLength",
                        32768));
                send(
                        http,
                        CliAuth.request(URI.create(url + "/v1/tokenize"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                                .build(),
                        200);
            }
            if (r >= 0) rest[r] = Timing.secondsSince(t0);
        }
        return rest;
    }

    /** One causal-LM dataset build of the uploaded CSV, polled until it is ready. */
    private static void buildDataset(HttpClient http, String url, String modelId, byte[] csv) throws IOException {
        JsonNode created = JSON.readTree(send(
                http,
                CliAuth.request(URI.create(url + "/v1/datasets?kind=causal_lm&seqLen=512&model=" + modelId))
                        .header("Content-Type", "text/csv")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(csv))
                        .build(),
                202));
        String id = created.get("datasetId").asText();
        for (; ; ) {
            JsonNode s = JSON.readTree(send(
                    http,
                    CliAuth.request(URI.create(url + "/v1/datasets/" + id))
                            .GET()
                            .build(),
                    200));
            String status = s.get("status").asText();
            if (status.equals("ready")) return;
            if (status.equals("failed"))
                throw new IllegalStateException(
                        "the bench dataset build failed: " + s.path("reason").asText());
            sleep(20);
        }
    }

    private static byte[] mimicCsv(List<String> texts) {
        StringBuilder sb =
                new StringBuilder("note_id,subject_id,hadm_id,note_type,note_seq,charttime,storetime,text\n");
        for (int i = 0; i < texts.size(); i++) {
            sb.append("b-")
                    .append(i)
                    .append(',')
                    .append(10_000 + i)
                    .append(',')
                    .append(20_000 + i)
                    .append(",DS,1,,,\"")
                    .append(texts.get(i).replace("\"", "\"\""))
                    .append("\"\n");
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] send(HttpClient http, HttpRequest req, int expected) throws IOException {
        try {
            HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != expected) {
                throw new IllegalStateException(req.method() + " " + req.uri().getPath() + " answered " + r.statusCode()
                        + ": " + Refusals.describe(r.statusCode(), r.body()));
            }
            return r.body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
