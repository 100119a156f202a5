package org.clinlora.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import org.clinlora.cli.client.CliAuth;
import org.clinlora.cli.client.Refusals;
import org.clinlora.cli.command.CliCommand;
import org.clinlora.cli.command.CliVersion;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.io.Sha256;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.lora.LoraConfig;
import org.clinlora.model.train.PaperDefaults;
import org.clinlora.platform.process.ServiceProcess;
import org.clinlora.platform.registry.PublishRequest;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.S3Settings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Registry throughput for an adapter the size of LLaMA-7B's Clinical LoRA (r=16 on q_proj+v_proj, fp16, ~17 MB):
 * publish (upload, validate, store, read back, card) and fetch-and-verify (download through the registry, which checks
 * sha256 before sending), beside a raw MinIO-client put and get+sha256 of the same bytes.
 */
@Command(
        name = "registry",
        mixinStandardHelpOptions = true,
        versionProvider = CliVersion.class,
        description =
                "Publish and fetch-and-verify MB/s of a LLaMA-7B r=16 q/v fp16 adapter through registry-svc, beside raw MinIO put/get.",
        footer = {
            "Needs ./clinlora infra up; starts registry-svc from its built jar unless --url names a running one, in a new",
            "bench-<id> bucket removed at the end (--keep keeps it; --bucket NAME uses an existing one, as --url does its own)."
        })
final class BenchRegistryCommand extends CliCommand {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PublishRequest CARD = PublishRequest.of("clinical-lm", "bench-llama-7b");

    @Option(names = "--url", description = "a running registry-svc (default: start one)")
    String url;

    @Option(names = "--rounds", defaultValue = "5", description = "rounds (default ${DEFAULT-VALUE})")
    int rounds;

    /**
     * A new bucket for the registry started here; with --url, the running registry's (--bucket, else the configured).
     */
    @Mixin
    BenchBucket bucket;

    /** The adapter measured: its PEFT folder, its weights' bytes and their sha256. */
    private record Adapter(LoraConfig config, Path dir, byte[] weights, String sha256) {
        double mb() {
            return weights.length / 1e6;
        }
    }

    /** Seconds of each round, per operation, and the versions published. */
    private record Rounds(double[] publish, double[] fetch, double[] put, double[] get, List<Integer> versions) {}

    @Override
    protected void execute() throws IOException {
        atLeast("--rounds", rounds, 1);
        try (BenchBucket.InUse b = url == null ? bucket.open() : bucket.openConfigured()) {
            benchIn(b);
        }
    }

    private void benchIn(BenchBucket.InUse b) throws IOException {
        String url = this.url;
        S3Settings s3 = b.settings();
        ObjectStore raw = b.store();

        Path work = Files.createTempDirectory("clinlora-bench-registry");
        ServiceProcess service = null;
        try {
            if (url == null) {
                service = ServiceJars.start("registry", b, Map.of());
                url = service.url();
            }
            Adapter adapter = llama7bAdapter(raw, work);
            HttpClient http = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(10))
                    .build();
            String name = "bench-7b-r16-" + UUID.randomUUID().toString().substring(0, 6);
            Rounds r = measure(http, url, raw, name, adapter);
            for (int v : r.versions()) {
                http.send(
                        CliAuth.request(URI.create(url + "/v1/adapters/" + name + "/versions/" + v))
                                .DELETE()
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
            }
            LoraConfig cfg = adapter.config();
            double mb = adapter.mb();
            System.out.printf(
                    "clinlora bench registry: LLaMA-7B-shaped adapter, LoRA r=%d on %s, fp16: %.1f MB, %d rounds (median)%n",
                    cfg.r(), cfg.targetModules(), mb, rounds);
            System.out.printf("registry %s, object store %s (bucket %s)%n", url, s3.endpoint(), s3.bucket());
            row("registry publish (upload, validate, store, read back + sha256, card)", mb, r.publish());
            row("registry fetch-and-verify (download, sha256 checked by the registry and again here)", mb, r.fetch());
            row("raw MinIO client put", mb, r.put());
            row("raw MinIO client get + sha256", mb, r.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        } finally {
            if (service != null) service.close();
            PeftAdapterDir.deleteTree(work);
        }
    }

    /** A LLaMA-7B base (its config only) in the store, and the paper's Clinical LoRA for it in fp16. */
    private static Adapter llama7bAdapter(ObjectStore raw, Path work) throws IOException {
        LlamaConfig llama7b = new LlamaConfig(
                32000, 4096, 11008, 32, 32, 32, 128, 1e-5, 10000, null, 4096, false, null, 1, 2, "float16", 0.02);
        Path baseDir = Files.createDirectories(work.resolve("base"));
        Files.write(baseDir.resolve("config.json"), JSON.writeValueAsBytes(llama7b.toJson()));
        new ModelStore(raw).upload("bench-llama-7b", baseDir);
        LoraConfig cfg = PaperDefaults.clinicalLora();
        Path adapter = writeF16Adapter(work.resolve("adapter"), cfg, llama7b);
        byte[] weights = Files.readAllBytes(adapter.resolve(PeftAdapterDir.WEIGHTS));
        return new Adapter(cfg, adapter, weights, Sha256.of(weights));
    }

    /** Each round: publish and fetch-and-verify through the registry, then a raw put and get of the same bytes. */
    private Rounds measure(HttpClient http, String url, ObjectStore raw, String name, Adapter adapter)
            throws IOException, InterruptedException {
        double[] publish = new double[rounds],
                fetch = new double[rounds],
                put = new double[rounds],
                get = new double[rounds];
        List<Integer> versions = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            long t0 = System.nanoTime();
            JsonNode card = publish(http, url, name, adapter.dir());
            publish[i] = Timing.secondsSince(t0);
            int v = card.get("version").asInt();
            versions.add(v);
            t0 = System.nanoTime();
            String got = fetchSha256(http, url, name, v);
            fetch[i] = Timing.secondsSince(t0);
            if (!got.equals(adapter.sha256())) throw new IllegalStateException("downloaded bytes do not match");

            String key = "bench/" + name + "/" + i;
            t0 = System.nanoTime();
            raw.put(key, adapter.weights(), Map.of());
            put[i] = Timing.secondsSince(t0);
            t0 = System.nanoTime();
            String rawSha = Sha256.of(raw.getBytes(key).orElseThrow());
            get[i] = Timing.secondsSince(t0);
            if (!rawSha.equals(adapter.sha256())) throw new IllegalStateException("raw get bytes do not match");
            raw.delete(key);
        }
        return new Rounds(publish, fetch, put, get, versions);
    }

    /** Downloads a version's weights through the registry (which checks them first) and hashes them here. */
    private static String fetchSha256(HttpClient http, String url, String name, int version)
            throws IOException, InterruptedException {
        HttpResponse<InputStream> r = http.send(
                CliAuth.request(URI.create(url + "/v1/adapters/" + name + "/versions/" + version
                                + "/files/adapter_model.safetensors"))
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) throw new IllegalStateException("download answered " + r.statusCode());
        try (InputStream in = r.body()) {
            return Sha256.copy(in, OutputStream.nullOutputStream());
        }
    }

    private static void row(String what, double mb, double[] seconds) {
        double median = Timing.median(seconds);
        System.out.printf("RESULT %-88s %7.3f s  %7.1f MB/s%n", what, median, mb / median);
    }

    /** The adapter_model.safetensors PEFT would write for LLaMA-7B in fp16 (random values of LoRA magnitude). */
    static Path writeF16Adapter(Path dir, LoraConfig cfg, LlamaConfig base) throws IOException {
        Files.createDirectories(dir);
        SplittableRandom rnd = new SplittableRandom(7);
        Map<String, SafeTensors.Tensor> t = new LinkedHashMap<>();
        cfg.expectedShapes(base).forEach((k, shape) -> {
            int n = Math.toIntExact(shape[0] * shape[1]);
            ByteBuffer b = ByteBuffer.allocate(n * 2).order(ByteOrder.LITTLE_ENDIAN);
            // normal half-precision numbers between 2^-8 and 2^-2 with random sign and mantissa
            for (int i = 0; i < n; i++)
                b.putShort((short) ((rnd.nextInt(2) << 15) | ((7 + rnd.nextInt(6)) << 10) | rnd.nextInt(1024)));
            t.put(k, new SafeTensors.Tensor(SafeTensors.Dtype.F16, shape, b.flip()));
        });
        SafeTensors.write(dir.resolve(PeftAdapterDir.WEIGHTS), t, null);
        Files.write(dir.resolve(PeftAdapterDir.CONFIG), JSON.writeValueAsBytes(cfg.toJson()));
        return dir;
    }

    private static JsonNode publish(HttpClient http, String url, String name, Path adapter)
            throws IOException, InterruptedException {
        String boundary = "clinlora" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (String f : List.of(PeftAdapterDir.CONFIG, PeftAdapterDir.WEIGHTS)) {
            body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + f + "\"; filename=\"" + f
                            + "\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            body.write(Files.readAllBytes(adapter.resolve(f)));
            body.write("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        body.write(("--" + boundary
                        + "\r\nContent-Disposition: form-data; name=\"card\"\r\nContent-Type: application/json\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        body.write(JSON.writeValueAsBytes(CARD));
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> r = http.send(
                CliAuth.request(URI.create(url + "/v1/adapters/" + name + "/versions"))
                        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201)
            throw new IllegalStateException(
                    "publish answered " + r.statusCode() + ": " + Refusals.describe(r.statusCode(), r.body()));
        return JSON.readTree(r.body());
    }
}
