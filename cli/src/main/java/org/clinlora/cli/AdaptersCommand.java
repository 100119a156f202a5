package org.clinlora.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.clinlora.cli.client.CliAuth;
import org.clinlora.cli.command.CliCommand;
import org.clinlora.cli.command.CliVersion;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.AdapterRef;
import org.clinlora.platform.registry.PublishRequest;
import org.clinlora.platform.registry.RegistryClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code ./clinlora adapters ls|show|pull|push|promote}: adapter versions in registry-svc. A pulled directory is a PEFT
 * adapter directory ({@code adapter_config.json}, {@code adapter_model.safetensors}; PEFT's
 * {@code PeftModel.from_pretrained} loads it) with the card beside it, every file sha256-checked against the card.
 */
@Command(
        name = "adapters",
        mixinStandardHelpOptions = true,
        versionProvider = CliVersion.class,
        description = "Adapters in the registry: list, show, pull as a PEFT directory, push one, promote an alias.",
        subcommands = {
            AdaptersCommand.Ls.class,
            AdaptersCommand.Show.class,
            AdaptersCommand.Pull.class,
            AdaptersCommand.Push.class,
            AdaptersCommand.Promote.class
        })
final class AdaptersCommand implements Runnable {
    @Override
    public void run() {
        throw new ParameterException(new CommandLine(this), "say 'adapters ls', 'show', 'pull', 'push' or 'promote'");
    }

    static RegistryClient client(String url) {
        return new RegistryClient(ModelsCommand.registry(url), CliAuth::token, Duration.ofMillis(500), 2);
    }

    /** NAME, NAME@VERSION or NAME@ALIAS (a bare name is its production alias), checked by the platform's parser. */
    static AdapterRef ref(CliCommand c, String s) {
        try {
            return AdapterRef.parse(s);
        } catch (IllegalArgumentException e) {
            c.require(false, e.getMessage());
            return null;
        }
    }

    @Command(
            name = "ls",
            mixinStandardHelpOptions = true,
            versionProvider = CliVersion.class,
            description = "Adapter names with their latest version, task and aliases.")
    static final class Ls extends CliCommand {
        @Option(
                names = "--registry",
                paramLabel = "URL",
                description = "registry-svc base URL (default CLINLORA_REGISTRY_URL or http://127.0.0.1:8082)")
        String url;

        @Override
        protected void execute() throws Exception {
            String base = ModelsCommand.registry(url);
            System.out.printf("%-36s %-8s %-12s %s%n", "NAME", "LATEST", "TASK", "ALIASES");
            for (JsonNode n :
                    ModelsCommand.getJson(base + "/v1/adapters?limit=1000").path("names")) {
                String name = n.asText();
                JsonNode versions =
                        ModelsCommand.getJson(base + "/v1/adapters/" + ModelsCommand.enc(name) + "/versions");
                JsonNode latest = versions.size() == 0 ? null : versions.get(versions.size() - 1);
                List<String> aliases = new ArrayList<>();
                for (JsonNode a : ModelsCommand.getJson(base + "/v1/adapters/" + ModelsCommand.enc(name) + "/aliases"))
                    aliases.add(
                            a.path("alias").asText() + "->v" + a.path("version").asInt());
                System.out.printf(
                        "%-36s %-8s %-12s %s%n",
                        name,
                        latest == null ? "-" : "v" + latest.path("version").asInt(),
                        latest == null ? "" : latest.path("task").asText(),
                        String.join(" ", aliases));
            }
        }
    }

    @Command(
            name = "show",
            mixinStandardHelpOptions = true,
            versionProvider = CliVersion.class,
            description = "A version's card and its lineage (NAME[@version|@alias]).")
    static final class Show extends CliCommand {
        @Parameters(index = "0", paramLabel = "NAME[@version|@alias]")
        String adapter;

        @Option(names = "--registry", paramLabel = "URL", description = "registry-svc base URL")
        String url;

        @Override
        protected void execute() throws Exception {
            RegistryClient.Resolved r = client(url).resolve(ref(this, adapter));
            System.out.println("lineage: "
                    + String.join(
                            " -> ", r.lineage().stream().map(AdapterCard::ref).toList()));
            System.out.println(new String(r.card().toJson(), StandardCharsets.UTF_8));
        }
    }

    @Command(
            name = "pull",
            mixinStandardHelpOptions = true,
            versionProvider = CliVersion.class,
            description = "Download a version as a PEFT adapter directory (sha256-checked), with card.json beside it.",
            footer =
                    "A Downstream LoRA was trained on top of its parents: --lineage also pulls them, each into DIR/<name>@<version>/.")
    static final class Pull extends CliCommand {
        @Parameters(index = "0", paramLabel = "NAME[@version|@alias]")
        String adapter;

        @Option(
                names = "--out",
                required = true,
                paramLabel = "DIR",
                description = "where to write the adapter directory")
        Path out;

        @Option(names = "--lineage", description = "also pull every ancestor into DIR/<name>@<version>/")
        boolean lineage;

        @Option(names = "--registry", paramLabel = "URL", description = "registry-svc base URL")
        String url;

        @Override
        protected void execute() throws Exception {
            RegistryClient client = client(url);
            RegistryClient.Resolved r = client.resolve(ref(this, adapter));
            pull(client, r.card(), out);
            if (lineage)
                for (AdapterCard c : r.lineage().subList(0, r.lineage().size() - 1))
                    pull(client, c, out.resolve(c.ref()));
            else if (r.lineage().size() > 1)
                System.out.println("stacked on "
                        + r.lineage().get(r.lineage().size() - 2).ref() + " (pull it too with --lineage)");
        }

        private static void pull(RegistryClient client, AdapterCard card, Path dir) throws IOException {
            Files.createDirectories(dir);
            client.download(card, dir);
            Files.write(dir.resolve("card.json"), card.toJson());
            System.out.printf(
                    "%s -> %s (%d files, sha256 checked)%n",
                    card.ref(), dir, card.files().size());
        }
    }

    @Command(
            name = "push",
            mixinStandardHelpOptions = true,
            versionProvider = CliVersion.class,
            description = "Publish a PEFT adapter directory as the next version of NAME.",
            footer = {
                "The card comes from DIR/card.json when there is one (as pull writes it), else from the options; --base-model is then required.",
                "Needs the publisher role."
            })
    static final class Push extends CliCommand {
        /** Reads a card.json as the publisher's fields, past those the registry fills in (name, version, files). */
        private static final ObjectMapper CARDS =
                new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

        @Parameters(index = "0", paramLabel = "DIR")
        Path dir;

        @Option(names = "--name", required = true, description = "the adapter name")
        String name;

        @Option(names = "--base-model", paramLabel = "ID", description = "the base model id in the registry")
        String baseModel;

        @Option(names = "--task", description = "the task (default: the name)")
        String task;

        @Option(
                names = "--labels",
                split = ",",
                description = "label names of a classification head, in the head's order")
        List<String> labels;

        @Option(
                names = "--parent",
                paramLabel = "NAME@VERSION",
                description = "the adapter this one was trained on top of")
        String parent;

        @Option(names = "--registry", paramLabel = "URL", description = "registry-svc base URL")
        String url;

        @Override
        protected void execute() throws Exception {
            require(
                    Files.isRegularFile(dir.resolve(PeftAdapterDir.CONFIG))
                            && Files.isRegularFile(dir.resolve(PeftAdapterDir.WEIGHTS)),
                    dir + " is not a PEFT adapter directory (adapter_config.json and adapter_model.safetensors)");
            PublishRequest card = card();
            List<Path> files = new ArrayList<>();
            for (String f : List.of(PeftAdapterDir.CONFIG, PeftAdapterDir.WEIGHTS, "README.md", "evaluation.json"))
                if (Files.isRegularFile(dir.resolve(f))) files.add(dir.resolve(f));
            String boundary = "clinlora-" + UUID.randomUUID();
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            part(body, boundary, "card", null, CARDS.writeValueAsBytes(card), "application/json");
            for (Path f : files)
                part(
                        body,
                        boundary,
                        f.getFileName().toString(),
                        f.getFileName().toString(),
                        Files.readAllBytes(f),
                        "application/octet-stream");
            body.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
            String answer = ModelsCommand.send(
                    HttpClient.newHttpClient(),
                    CliAuth.request(URI.create(ModelsCommand.registry(url) + "/v1/adapters/" + ModelsCommand.enc(name)
                                    + "/versions"))
                            .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                            .timeout(Duration.ofMinutes(30))
                            .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                            .build(),
                    201);
            JsonNode c = ModelsCommand.JSON.readTree(answer);
            System.out.printf(
                    "published %s@%d (%d files)%n",
                    c.path("name").asText(),
                    c.path("version").asInt(),
                    c.path("files").size());
        }

        /**
         * The publisher's fields: those of DIR/card.json when there is one (a pulled card names its base model as
         * {@code baseModel.id}), the options over them.
         */
        private PublishRequest card() throws IOException {
            Path file = dir.resolve("card.json");
            JsonNode stored = Files.isRegularFile(file) ? CARDS.readTree(file.toFile()) : null;
            PublishRequest from = stored == null ? PublishRequest.of(null, null) : storedCard(stored, file);
            String base = baseModel != null ? baseModel : from.baseModelId();
            if (base == null && stored != null) {
                JsonNode pulled = stored.path("baseModel").path("id");
                if (!pulled.isMissingNode() && !pulled.isNull()) base = pulled.asText();
            }
            require(base != null, "--base-model is required (no card.json in " + dir + ")");
            String taskName = task != null ? task : from.task() != null ? from.task() : name;
            return PublishRequest.of(taskName, base)
                    .withLabels(labels != null ? labels : from.labelNames(), from.problemType(), from.noteEncoding())
                    .withParent(parent != null ? parent : from.parent())
                    .withTraining(from.datasetIds(), from.trainingConfig(), from.metrics());
        }

        private PublishRequest storedCard(JsonNode stored, Path file) {
            try {
                return CARDS.treeToValue(stored, PublishRequest.class);
            } catch (JsonProcessingException e) {
                require(false, file + " is not an adapter card (" + e.getOriginalMessage() + ")");
                return null;
            }
        }

        private static void part(
                ByteArrayOutputStream out, String boundary, String name, String filename, byte[] data, String type)
                throws IOException {
            String head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\""
                    + (filename == null ? "" : "; filename=\"" + filename + "\"") + "\r\nContent-Type: " + type
                    + "\r\n\r\n";
            out.write(head.getBytes(StandardCharsets.UTF_8));
            out.write(data);
            out.write("\r\n".getBytes(StandardCharsets.UTF_8));
        }
    }

    @Command(
            name = "promote",
            mixinStandardHelpOptions = true,
            versionProvider = CliVersion.class,
            description =
                    "Point ALIAS of NAME at VERSION, compare-and-set: refused if the alias moved since it was read (or say --expect).",
            footer = "Needs the registry-admin role.")
    static final class Promote extends CliCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "VERSION")
        int version;

        @Option(names = "--alias", defaultValue = "production", description = "the alias (default production)")
        String alias;

        @Option(
                names = "--expect",
                paramLabel = "VERSION",
                description = "the version the alias must point at now (default: what it points at when read)")
        Integer expect;

        @Option(names = "--registry", paramLabel = "URL", description = "registry-svc base URL")
        String url;

        @Override
        protected void execute() throws Exception {
            atLeast("VERSION", version, 1);
            Integer expected = expect;
            if (expected == null) {
                try {
                    expected = ModelsCommand.getJson(ModelsCommand.registry(url) + "/v1/adapters/"
                                    + ModelsCommand.enc(name) + "/aliases/" + ModelsCommand.enc(alias))
                            .path("version")
                            .asInt();
                } catch (IllegalStateException e) {
                    if (!e.getMessage().contains(" 404")) throw e; // a new alias: nothing to compare with
                }
            }
            client(url).moveAlias(name, alias, version, expected);
            System.out.printf(
                    Locale.ROOT,
                    "%s@%s -> v%d%s%n",
                    name,
                    alias,
                    version,
                    expected == null ? " (new alias)" : " (was v" + expected + ")");
        }
    }
}
