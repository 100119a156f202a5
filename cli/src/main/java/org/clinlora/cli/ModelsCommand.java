package org.clinlora.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.clinlora.cli.client.CliAuth;
import org.clinlora.cli.client.Refusals;
import org.clinlora.cli.client.ServiceUrl;
import org.clinlora.cli.command.CliCommand;
import org.clinlora.cli.command.CliVersion;
import org.clinlora.cli.command.ProgressBar;
import org.clinlora.platform.registry.RegistryClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code ./clinlora models push|ls|show}: base models through registry-svc's {@code /v1/models}. A push hashes every
 * file, declares them, sends the ones the registry still lacks (so running it again after an interruption resumes) and
 * completes; the registry checks the files form a loadable LLaMA before the model exists.
 */
@Command(
        name = "models",
        mixinStandardHelpOptions = true,
        versionProvider = CliVersion.class,
        description = "Base models in the registry: push a Hugging Face LLaMA directory, list, show.",
        subcommands = {ModelsCommand.Push.class, ModelsCommand.Ls.class, ModelsCommand.Show.class})
final class ModelsCommand implements Runnable {
    static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public void run() {
        throw new ParameterException(new CommandLine(this), "say 'models push', 'models ls' or 'models show'");
    }

    /** The registry's base URL: --registry, else CLINLORA_REGISTRY_URL, else the local port. */
    static String registry(String option) {
        return ServiceUrl.of(option, "registry", 8082);
    }

    static String send(HttpClient http, HttpRequest req, int... expected) throws IOException {
        try {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            for (int e : expected) if (r.statusCode() == e) return r.body();
            throw new IllegalStateException(req.method() + " " + req.uri().getPath() + " answered " + r.statusCode()
                    + ": " + Refusals.describe(r.statusCode(), r.body()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    /** GET a JSON answer (200) from a service, with the CLI's token. */
    static JsonNode getJson(String url) throws IOException {
        return JSON.readTree(send(
                HttpClient.newHttpClient(),
                CliAuth.request(URI.create(url)).GET().build(),
                200));
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Command(
            name = "push",
            mixinStandardHelpOptions = true,
            versionProvider = CliVersion.class,
            description =
                    "Push a model directory (config.json, safetensors weights or shards + index, tokenizer.json) under an id.",
            footer =
                    "Needs the registry-admin role. Run it again to resume an interrupted push; a model already stored with the same files is left as it is.")
    static final class Push extends CliCommand {
        @Parameters(index = "0", paramLabel = "DIR", description = "the Hugging Face model directory")
        Path dir;

        @Option(names = "--id", required = true, description = "the model id (letters, digits, '.', '_', '-')")
        String id;

        @Option(
                names = "--registry",
                paramLabel = "URL",
                description = "registry-svc base URL (default CLINLORA_REGISTRY_URL or http://127.0.0.1:8082)")
        String registryUrl;

        @Override
        protected void execute() throws Exception {
            push(
                    HttpClient.newBuilder()
                            .connectTimeout(Duration.ofSeconds(10))
                            .build(),
                    registry(registryUrl),
                    id,
                    dir);
        }
    }

    /**
     * What {@code models push} does, for the demo too: the registry client's push (declare, send what is missing,
     * complete).
     */
    static void push(HttpClient http, String registry, String id, Path dir) throws IOException {
        long t0 = System.nanoTime();
        ProgressBar bar = new ProgressBar("models push " + id);
        RegistryClient.ModelPush p = new RegistryClient(registry, CliAuth::token)
                .pushModel(id, dir, (sent, total) -> bar.update(sent >> 10, Math.max(1, total >> 10), -1, "KiB"));
        if (p.alreadyStored()) {
            System.out.printf("model %s is already stored with these files%n", id);
            return;
        }
        bar.done(null);
        System.out.printf(
                "model %s stored (%d files sent, %.2f GB), checked as a loadable checkpoint, in %.1f s%n",
                id, p.sent().size(), p.bytesSent() / 1e9, (System.nanoTime() - t0) / 1e9);
    }

    @Command(
            name = "ls",
            mixinStandardHelpOptions = true,
            versionProvider = CliVersion.class,
            description = "List the stored base models.")
    static final class Ls extends CliCommand {
        @Option(names = "--registry", paramLabel = "URL", description = "registry-svc base URL")
        String registryUrl;

        @Override
        protected void execute() throws Exception {
            for (JsonNode id : getJson(registry(registryUrl) + "/v1/models")) {
                System.out.println(id.asText());
            }
        }
    }

    @Command(
            name = "show",
            mixinStandardHelpOptions = true,
            versionProvider = CliVersion.class,
            description = "A stored base model: files, sha256, config.")
    static final class Show extends CliCommand {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Option(names = "--registry", paramLabel = "URL", description = "registry-svc base URL")
        String registryUrl;

        @Override
        protected void execute() throws Exception {
            JsonNode n = getJson(registry(registryUrl) + "/v1/models/" + enc(id));
            System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n));
        }
    }
}
