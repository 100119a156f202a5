package org.clinlora.chaos;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.response.Response;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.clinlora.cli.Main;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.lora.LoraConfig;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.PublishRequest;
import org.clinlora.platform.registry.RegistryClient;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.TestAuth;
import org.clinlora.testing.TestBucket;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The registry backed up with {@code ./clinlora registry export} and restored with {@code registry import} into a fresh
 * bucket: a registry-svc and a scorer-svc started on the restored bucket answer exactly as the originals did — the same
 * versions and cards, alias histories, lineage, and the same scores from every production alias — and a deleted
 * version's number is not handed out again.
 */
class RegistryRestoreIT {
    static final List<String> NOTES = List.of(
            "Chief Complaint: dyspnea. History of Present Illness: admitted with pneumonia, intubated on day 2.",
            "Chief Complaint: chest pain. Brief Hospital Course: troponin negative, discharged home.",
            "Discharge Diagnosis: sepsis. Hospital course complicated by acute kidney injury.");
    static final LoraConfig CLINICAL_LORA =
            new LoraConfig("CAUSAL_LM", 8, 16, 0.0, List.of("q_proj", "v_proj"), List.of(), false, null);

    record Outcome(int code, String out, String err) {}

    static Outcome registry(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        String[] argv = new String[args.length + 1];
        argv[0] = "registry";
        System.arraycopy(args, 0, argv, 1, args.length);
        int code = cli.execute(argv);
        System.out.print(out); // the summary lines (objects, bytes, seconds) in the build log
        return new Outcome(code, out.toString(), err.toString());
    }

    static int copied(Outcome export) {
        assertEquals(0, export.code(), export.err());
        Matcher m = Pattern.compile(": (\\d+) copied").matcher(export.out());
        assertTrue(m.find(), export.out());
        return Integer.parseInt(m.group(1));
    }

    @Test
    void aRestoredRegistryServesTheSameVersionsAliasesLineageAndScores() throws Exception {
        try (Cluster c = new Cluster()) {
            String model = "restore-base-" + c.run;
            String clinical = "restore-clin-" + c.run, mor = "restore-mor-" + c.run, los = "restore-los-" + c.run;
            LlamaConfig base = c.baseModel(model);
            Cluster.Service registry = c.start("registry", Map.of());
            RegistryClient client = new RegistryClient(registry.url(), TestAuth::allRoles);
            client.publishFromStore(
                    clinical, c.stage(base, "clin", CLINICAL_LORA, 0, 1), PublishRequest.of(clinical, model));
            for (int v = 1; v <= 3; v++) publishTask(c, client, base, model, mor, List.of("0", "1"), clinical, v);
            publishTask(c, client, base, model, los, List.of("0", "1", "2", "3"), clinical, 10);
            client.moveAlias(mor, "production", 1, null);
            client.moveAlias(mor, "production", 2, 1);
            client.moveAlias(mor, "staging", 1, null);
            client.moveAlias(los, "production", 1, null);
            client.delete(mor, 3);

            // Started after the moves: one started before would follow them by their events, and a first score
            // between two of them would answer the version the alias left.
            Cluster.Service scorer = c.start("scorer", Cluster.urls(registry));
            List<String> names = List.of(clinical, mor, los);
            Map<String, List<String>> before = views(registry, scorer, names);

            Path backup = c.dir.resolve("registry-backup");
            int first = copied(registry("export", "--out", backup.toString(), "--bucket", c.bucket));
            assertEquals(0, copied(registry("export", "--out", backup.toString(), "--bucket", c.bucket)));
            publishTask(c, client, base, model, los, List.of("0", "1", "2", "3"), clinical, 11); // los@2
            int incremental = copied(registry("export", "--out", backup.toString(), "--bucket", c.bucket));
            assertTrue(incremental > 0 && incremental < first / 2, "only los@2: " + incremental + " of " + first);

            Outcome resumed = registry("import", backup.toString(), "--bucket", c.bucket);
            assertEquals(0, resumed.code(), resumed.err());
            assertTrue(resumed.out().contains(": 0 written"), "holds the export already: " + resumed.out());
            client.moveAlias(los, "staging", 2, null); // now the bucket holds something the export does not
            Outcome intoItself = registry("import", backup.toString(), "--bucket", c.bucket);
            assertEquals(2, intoItself.code(), "a bucket with another registry is refused");
            assertTrue(intoItself.err().contains("import restores into a bucket without a registry"), intoItself.err());

            String fresh = TestBucket.open();
            try {
                Outcome restored = registry("import", backup.toString(), "--bucket", fresh);
                assertEquals(0, restored.code(), restored.err());
                List<Cluster.Service> restoredServices = c.startTogether(
                        new Cluster.Launch("registry", Map.of("CLINLORA_S3_BUCKET", fresh)),
                        new Cluster.Launch("scorer", Map.of("CLINLORA_S3_BUCKET", fresh)));
                Cluster.Service registry2 = restoredServices.get(0), scorer2 = restoredServices.get(1);
                Map<String, List<String>> after = views(registry2, scorer2, names);
                for (String view : before.keySet()) {
                    if (!view.startsWith(los + " versions")) assertEquals(before.get(view), after.get(view), view);
                }
                assertEquals(
                        2,
                        new RegistryClient(registry2.url(), TestAuth::allRoles)
                                .versions(los)
                                .size());
                // A new version on the restored registry, staged in its bucket as a trainer would.
                ObjectStore freshStore = new ObjectStore(LocalInfra.s3Settings(fresh));
                String prefix = c.stageAdapter(base, mor + "-4", List.of("0", "1"), 4);
                for (String k : c.store.list(prefix))
                    freshStore.put(k, c.store.getBytes(k).orElseThrow(), Map.of());
                AdapterCard next = new RegistryClient(registry2.url(), TestAuth::allRoles)
                        .publishFromStore(
                                mor,
                                prefix,
                                Cluster.card(mor, model, List.of("0", "1"), "seed-4")
                                        .withParent(clinical + "@1"));
                assertEquals(4, next.version(), "the deleted version 3's number is not given again");
            } finally {
                TestBucket.close(fresh);
            }
        }
    }

    static AdapterCard publishTask(
            Cluster c,
            RegistryClient client,
            LlamaConfig base,
            String model,
            String name,
            List<String> labels,
            String clinical,
            long seed)
            throws Exception {
        String prefix = c.stageAdapter(base, name + "-" + seed, labels, seed);
        PublishRequest card = Cluster.card(name, model, labels, "seed-" + seed).withParent(clinical + "@1");
        return client.publishFromStore(name, prefix, card);
    }

    /** What a user sees of each adapter: its versions' cards, alias histories, resolved lineage and scores. */
    static Map<String, List<String>> views(Cluster.Service registry, Cluster.Service scorer, List<String> names) {
        Map<String, List<String>> out = new TreeMap<>();
        for (String name : names) {
            String a = registry.url() + "/v1/adapters/" + name;
            out.put(name + " versions", List.of(get(a + "/versions")));
            out.put(name + " aliases", List.of(get(a + "/aliases")));
            out.put(name + " resolve", List.of(get(a + "/resolve/1")));
            if (!name.contains("-clin-")) {
                out.put(name + " production", List.of(get(a + "/resolve/production")));
                Response r = given().contentType("application/json")
                        .body(Map.of("task", name + "@production", "notes", NOTES))
                        .post(scorer.url() + "/v1/score");
                assertEquals(200, r.statusCode(), r.asString());
                List<String> scores = new ArrayList<>();
                scores.add(r.jsonPath().getString("adapter.ref") + " "
                        + r.jsonPath().getString("adapter.lineage"));
                scores.add(String.valueOf(r.jsonPath().getList("results.probabilities")));
                out.put(name + " scores", scores);
            }
        }
        return out;
    }

    static String get(String url) {
        Response r = given().get(url);
        assertEquals(200, r.statusCode(), url + ": " + r.asString());
        return r.asString();
    }
}
