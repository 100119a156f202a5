package org.clinlora.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.AdapterRef;
import org.clinlora.platform.registry.RegistryClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./clinlora adapters ls|show|pull|push|promote}: adapter versions in registry-svc. A pulled directory is a PEFT
 * adapter directory ({@code adapter_config.json}, {@code adapter_model.safetensors}; PEFT's
 * {@code PeftModel.from_pretrained} loads it) with the card beside it, every file sha256-checked against the card.
 */
@Command(name = "adapters", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Adapters in the registry: list, show, pull as a PEFT directory, push one, promote an alias.",
        subcommands = {AdaptersCommand.Ls.class, AdaptersCommand.Show.class, AdaptersCommand.Pull.class, AdaptersCommand.Push.class,
                AdaptersCommand.Promote.class})
final class AdaptersCommand implements Runnable {
    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "say 'adapters ls', 'show', 'pull', 'push' or 'promote'");
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

    @Command(name = "ls", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, description = "Adapter names with their latest version, task and aliases.")
    static final class Ls extends CliCommand {
        @Option(names = "--registry", paramLabel = "URL", description = "registry-svc base URL (default CLINLORA_REGISTRY_URL or http://127.0.0.1:8082)")
        String url;

        @Override
        void execute() throws Exception {
            String base = ModelsCommand.registry(url);
            System.out.printf("%-36s %-8s %-12s %s%n", "NAME", "LATEST", "TASK", "ALIASES");
            for (JsonNode n : ModelsCommand.getJson(base + "/v1/adapters?limit=1000").path("names")) {
                String name = n.asText();
                JsonNode versions = ModelsCommand.getJson(base + "/v1/adapters/" + ModelsCommand.enc(name) + "/versions");
                JsonNode latest = versions.size() == 0 ? null : versions.get(versions.size() - 1);
                List<String> aliases = new ArrayList<>();
                for (JsonNode a : ModelsCommand.getJson(base + "/v1/adapters/" + ModelsCommand.enc(name) + "/aliases")) aliases.add(a.path("alias").asText() + "->v" + a.path("version").asInt());
                System.out.printf("%-36s %-8s %-12s %s%n", name, latest == null ? "-" : "v" + latest.path("version").asInt(),
                        latest == null ? "" : latest.path("task").asText(), String.join(" ", aliases));
            }
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, description = "A version's card and its lineage (NAME[@version|@alias]).")
    static final class Show extends CliCommand {
        @Parameters(index = "0", paramLabel = "NAME[@version|@alias]")
        String adapter;
        @Option(names = "--registry", paramLabel = "URL", description = "registry-svc base URL")
        String url;

        @Override
        void execute() throws Exception {
            RegistryClient.Resolved r = client(url).resolve(ref(this, adapter));
            System.out.println("lineage: " + String.join(" -> ", r.lineage().stream().map(AdapterCard::ref).toList()));
            System.out.println(new String(r.card().toJson(), StandardCharsets.UTF_8));
        }
    }

    @Command(name = "pull", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
            description = "Download a version as a PEFT adapter directory (sha256-checked), with card.json beside it.",
            footer = "A Downstream LoRA was trained on top of its parents: --lineage also pulls them, each into DIR/<name>@<version>/.")
    static final class Pull extends CliCommand {
        @Parameters(index = "0", paramLabel = "NAME[@version|@alias]")
        String adapter;
        @Option(names = "--out", required = true, paramLabel = "DIR", description = "where to write the adapter directory")
        Path out;
        @Option(names = "--lineage", description = "also pull every ancestor into DIR/<name>@<version>/")
        boolean lineage;
        @Option(names = "--registry", paramLabel = "URL", description = "registry-svc base URL")
        String url;

        @Override
        void execute() throws Exception {
            RegistryClient client = client(url);
            RegistryClient.Resolved r = client.resolve(ref(this, adapter));
            pull(client, r.card(), out);
            if (lineage) for (AdapterCard c : r.lineage().subList(0, r.lineage().size() - 1)) pull(client, c, out.resolve(c.ref()));
            else if (r.lineage().size() > 1) System.out.println("stacked on " + r.lineage().get(r.lineage().size() - 2).ref() + " (pull it too with --lineage)");
        }

        private static void pull(RegistryClient client, AdapterCard card, Path dir) throws IOException {
            Files.createDirectories(dir);
            client.download(card, dir);
            Files.write(dir.resolve("card.json"), card.toJson());
            System.out.printf("%s -> %s (%d files, sha256 checked)%n", card.ref(), dir, card.files().size());
        }
    }

    @Command(name = "push", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
            description = "Publish a PEFT adapter directory as the next version of NAME.",
            footer = {"The card comes from DIR/card.json when there is one (as pull writes it), else from the options; --base-model is then required.",
                    "Needs the publisher role."})
    static final class Push extends CliCommand {
        @Parameters(index = "0", paramLabel = "DIR")
        Path dir;
        @Option(names = "--name", required = true, description = "the adapter name")
        String name;
        @Option(names = "--base-model", paramLabel = "ID", description = "the base model id in the registry")
        String baseModel;
        @Option(names = "--task", description = "the task (default: the name)")
        String task;
        @Option(names = "--labels", split = ",", description = "label names of a classification head, in the head's order")
        List<String> labels;
        @Option(names = "--parent", paramLabel = "NAME@VERSION", description = "the adapter this one was trained on top of")
        String parent;
        @Option(names = "--registry", paramLabel = "URL", description = "registry-svc base URL")
        String url;

        @Override
        void execute() throws Exception {
            require(Files.isRegularFile(dir.resolve(PeftAdapterDir.CONFIG)) && Files.isRegularFile(dir.resolve(PeftAdapterDir.WEIGHTS)),
                    dir + " is not a PEFT adapter directory (adapter_config.json and adapter_model.safetensors)");
            ObjectNode card;
            if (Files.isRegularFile(dir.resolve("card.json"))) {
                card = (ObjectNode) ModelsCommand.JSON.readTree(dir.resolve("card.json").toFile());
                for (String f : List.of("name", "version", "files", "createdAt", "schemaVersion", "baseModel")) card.remove(f);
                if (!card.has("baseModelId")) {
                    JsonNode b = ModelsCommand.JSON.readTree(dir.resolve("card.json").toFile()).path("baseModel").path("id");
                    if (!b.isMissingNode()) card.put("baseModelId", b.asText());
                }
            } else {
                card = ModelsCommand.JSON.createObjectNode();
            }
            if (baseModel != null) card.put("baseModelId", baseModel);
            require(card.has("baseModelId"), "--base-model is required (no card.json in " + dir + ")");
            if (task != null || !card.has("task")) card.put("task", task != null ? task : name);
            if (labels != null) card.set("labelNames", ModelsCommand.JSON.valueToTree(labels));
            if (parent != null) card.put("parent", parent);
            card.put("publishedBy", "clinlora-cli");
            List<Path> files = new ArrayList<>();
            for (String f : List.of(PeftAdapterDir.CONFIG, PeftAdapterDir.WEIGHTS, "README.md", "evaluation.json")) if (Files.isRegularFile(dir.resolve(f))) files.add(dir.resolve(f));
            String boundary = "clinlora-" + UUID.randomUUID();
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            part(body, boundary, "card", null, ModelsCommand.JSON.writeValueAsBytes(card), "application/json");
            for (Path f : files) part(body, boundary, f.getFileName().toString(), f.getFileName().toString(), Files.readAllBytes(f), "application/octet-stream");
            body.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
            String answer = ModelsCommand.send(HttpClient.newHttpClient(), CliAuth.request(URI.create(ModelsCommand.registry(url) + "/v1/adapters/" + ModelsCommand.enc(name) + "/versions"))
                    .header("Content-Type", "multipart/form-data; boundary=" + boundary).timeout(Duration.ofMinutes(30))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), 201);
            JsonNode c = ModelsCommand.JSON.readTree(answer);
            System.out.printf("published %s@%d (%d files)%n", c.path("name").asText(), c.path("version").asInt(), c.path("files").size());
        }

        private static void part(ByteArrayOutputStream out, String boundary, String name, String filename, byte[] data, String type) throws IOException {
            String head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"" + (filename == null ? "" : "; filename=\"" + filename + "\"")
                    + "\r\nContent-Type: " + type + "\r\n\r\n";
            out.write(head.getBytes(StandardCharsets.UTF_8));
            out.write(data);
            out.write("\r\n".getBytes(StandardCharsets.UTF_8));
        }
    }

    @Command(name = "promote", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
            description = "Point ALIAS of NAME at VERSION, compare-and-set: refused if the alias moved since it was read (or say --expect).",
            footer = "Needs the registry-admin role.")
    static final class Promote extends CliCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Parameters(index = "1", paramLabel = "VERSION")
        int version;
        @Option(names = "--alias", defaultValue = "production", description = "the alias (default production)")
        String alias;
        @Option(names = "--expect", paramLabel = "VERSION", description = "the version the alias must point at now (default: what it points at when read)")
        Integer expect;
        @Option(names = "--registry", paramLabel = "URL", description = "registry-svc base URL")
        String url;

        @Override
        void execute() throws Exception {
            atLeast("VERSION", version, 1);
            Integer expected = expect;
            if (expected == null) {
                try {
                    expected = ModelsCommand.getJson(ModelsCommand.registry(url) + "/v1/adapters/" + ModelsCommand.enc(name) + "/aliases/" + ModelsCommand.enc(alias)).path("version").asInt();
                } catch (IllegalStateException e) {
                    if (!e.getMessage().contains(" 404")) throw e;  // a new alias: nothing to compare with
                }
            }
            client(url).moveAlias(name, alias, version, expected);
            System.out.printf(Locale.ROOT, "%s@%s -> v%d%s%n", name, alias, version, expected == null ? " (new alias)" : " (was v" + expected + ")");
        }
    }
}
