package org.clinlora.cli.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.clinlora.model.io.Sha256;
import org.clinlora.platform.store.ExperimentManifest;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalS3;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./clinlora experiment --publish} into the real local S3Proxy (a bucket of the test's own): what the console
 * shows comes back byte for byte under the experiment's name, with a manifest that names each file's sha256.
 */
@ExtendWith(LocalS3.class)
class ExperimentPublisherTest {
    private static final String CSV =
            "task,variant,seed,test_macro_auroc\nlos,downstream,1,0.61\nlos,head_only,1,0.58\n";

    @TempDir
    Path dir;

    private final ObjectStore store = new ObjectStore(LocalInfra.s3Settings());

    /** An output folder as the experiment leaves it, with more in it than is published. */
    private Path output(String config) throws IOException {
        Path out = Files.createDirectories(dir.resolve("out-" + Math.abs(config.hashCode())));
        Files.writeString(out.resolve("config.json"), config);
        Files.writeString(out.resolve("results.csv"), CSV);
        Files.writeString(out.resolve("results.md"), "| task | variant |\n");
        Files.createDirectories(out.resolve("figures"));
        Files.writeString(out.resolve("figures/auroc.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
        Files.writeString(out.resolve("figures/roc-los.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>");
        Files.writeString(out.resolve("figures/roc-los.csv"), "variant,fpr,tpr\n");
        Files.createDirectories(out.resolve("datasets/los"));
        Files.writeString(out.resolve("datasets/los/manifest.json"), "{}");
        return out;
    }

    @Test
    void aPublishedExperimentComesBackFromTheBucketByteForByteWithItsManifest() throws IOException {
        Path out = output("{\"name\": \"small\", \"protocol\": \"paper-text\"}");
        ExperimentManifest m = new ExperimentPublisher(store).publish("small", out, false);

        List<String> files =
                List.of("results.md", "results.csv", "config.json", "figures/auroc.svg", "figures/roc-los.svg");
        assertEquals(
                files, m.files().stream().map(ExperimentManifest.Entry::path).toList());
        ExperimentManifest read = ExperimentManifest.read(store, "small").orElseThrow();
        assertEquals(m, read);
        assertEquals("paper-text", read.protocol());
        assertEquals(2, read.rows(), "two result rows");
        for (ExperimentManifest.Entry e : read.files()) {
            byte[] stored = store.getBytes("experiments/small/" + e.path()).orElseThrow();
            assertEquals(Sha256.of(out.resolve(e.path())), Sha256.of(stored), e.path());
            assertEquals(e.sha256(), Sha256.of(stored), e.path());
            assertEquals(e.size(), stored.length, e.path());
        }
        assertEquals(
                files.size() + 1,
                store.list(StoreLayout.experiment("small")).size(),
                "only what the console shows, and the manifest: no datasets, adapters or CSVs of figures");
    }

    @Test
    void publishingAgainReplacesTheSameExperimentButAnotherOfTheSameNameOnlyWhenAsked() throws IOException {
        Path first = output("{\"name\": \"again\", \"protocol\": \"paper-text\"}");
        new ExperimentPublisher(store).publish("again", first, false);
        // The same config, run further: its new table replaces the old, a figure it no longer has goes.
        Files.writeString(first.resolve("results.csv"), CSV + "los,clinical_frozen,1,0.66\n");
        Files.delete(first.resolve("figures/roc-los.svg"));
        ExperimentManifest second = new ExperimentPublisher(store).publish("again", first, false);
        assertEquals(3, second.rows());
        assertFalse(store.getBytes("experiments/again/figures/roc-los.svg").isPresent(), "no stale figure");

        Path other = output("{\"name\": \"again\", \"protocol\": \"paper-code-v1\"}");
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> new ExperimentPublisher(store).publish("again", other, false));
        assertTrue(e.getMessage().contains("--replace"), e.getMessage());
        assertEquals(second, ExperimentManifest.read(store, "again").orElseThrow(), "the published one untouched");

        ExperimentManifest replaced = new ExperimentPublisher(store).publish("again", other, true);
        assertEquals(
                "paper-code-v1",
                ExperimentManifest.read(store, "again").orElseThrow().protocol());
        assertEquals(replaced.configSha256(), Sha256.of(other.resolve("config.json")));
    }

    @Test
    void aNameTheConsoleCannotOpenOrAFolderWithoutResultsIsRefusedBeforeAnyUpload() throws IOException {
        Path out = output("{\"name\": \"Mixed\"}");
        assertThrows(IllegalArgumentException.class, () -> new ExperimentPublisher(store).publish("Mixed", out, false));
        assertThrows(IllegalArgumentException.class, () -> new ExperimentPublisher(store).publish("../x", out, false));
        Path another = output("{\"name\": \"another\"}");
        assertThrows(
                IllegalArgumentException.class, () -> new ExperimentPublisher(store).publish("other", another, false));
        Files.delete(out.resolve("results.csv"));
        assertThrows(IllegalArgumentException.class, () -> new ExperimentPublisher(store).publish("empty", out, false));
        assertTrue(
                store.list(StoreLayout.experiments()).stream()
                        .noneMatch(k -> k.matches("experiments/(empty|other|Mixed|x)/.*")),
                "nothing of them was uploaded");
    }
}
