package org.clinlora.model.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.clinlora.model.base.BaseModel;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.io.SafeTensorsReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A UmlsBERT checkpoint (the bert-reference base plus {@code bert.embeddings.tui_type_embeddings.weight}, UmlsBERT's
 * semantic-type embeddings, [tui_size 44, hidden]) is refused with the tensor, the folder and the reason named, and
 * with the opt-in loads as the plain BERT transformers' from_pretrained would make of it.
 */
class UmlsBertCheckpointTest {
    static final String TUI = "bert.embeddings.tui_type_embeddings.weight";

    @TempDir
    Path tmp;

    /** The reference base with UmlsBERT's extra tensor (row 0, "no semantic type", zero as UmlsBERT keeps it). */
    Path umlsBert() throws IOException {
        Path base = BertReferenceTest.DIR.resolve("base"), dir = Files.createDirectories(tmp.resolve("umlsbert"));
        Files.copy(base.resolve("config.json"), dir.resolve("config.json"));
        Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>();
        int hidden;
        try (SafeTensorsReader r = SafeTensors.open(base.resolve("model.safetensors"))) {
            for (String name : r.entries().keySet())
                tensors.put(name, SafeTensors.Tensor.f32(r.entry(name).shape(), r.floats(name)));
            hidden = (int) r.entry("bert.embeddings.LayerNorm.weight").shape()[0];
        }
        float[] tui = new float[44 * hidden];
        Random g = new Random(7);
        for (int i = hidden; i < tui.length; i++) tui[i] = (float) g.nextGaussian();
        tensors.put(TUI, SafeTensors.Tensor.f32(new long[] {44, hidden}, tui));
        SafeTensors.write(dir.resolve("model.safetensors"), tensors, null);
        return dir;
    }

    @Test
    void aUmlsBertCheckpointIsRefusedNamingTheTensorTheFolderAndWhy() throws IOException {
        Path dir = umlsBert();
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> BaseModel.load(dir, Compute.CPU_FP32));
        String m = e.getMessage();
        assertTrue(m.contains(TUI) && m.contains("[44, 32]"), "names the tensor and its shape: " + m);
        assertTrue(m.contains(dir.toString()), "names the checkpoint: " + m);
        assertTrue(m.contains("UMLS semantic type") && m.contains("does not ship"), "says why: " + m);
        assertTrue(m.contains(BertCheckpoint.IGNORE_SEMANTIC_TYPES), "says how to go on: " + m);

        // A bare BertModel save (no "bert." prefix) is the same checkpoint; the registry runs this check on headers.
        BertConfig config = (BertConfig) BaseModelConfig.read(dir.resolve("config.json"));
        Map<String, long[]> bare = new LinkedHashMap<>();
        BertCheckpoint.expectedTensors(config).forEach((n, s) -> bare.put(n.substring("bert.".length()), s));
        bare.put("embeddings.tui_type_embeddings.weight", new long[] {44, 32});
        IllegalArgumentException viaConfig = assertThrows(
                IllegalArgumentException.class, () -> config.checkCheckpoint(bare), "the registry's check too");
        assertTrue(viaConfig.getMessage().contains(TUI), viaConfig.getMessage());
    }

    @Test
    void withTheOptInTheTensorIsIgnoredAndTheLogitsAreThePlainBertsOfPyTorch() throws IOException {
        Path dir = umlsBert();
        BertReferenceTest.Inputs in = BertReferenceTest.inputs();
        String before = System.getProperty(BertCheckpoint.IGNORE_SEMANTIC_TYPES);
        System.setProperty(BertCheckpoint.IGNORE_SEMANTIC_TYPES, "true");
        try (BaseModel m = BaseModel.load(dir, Compute.CPU_FP32);
                SafeTensorsReader want = SafeTensors.open(BertReferenceTest.DIR.resolve("expected.safetensors"))) {
            try (StepContext ctx = m.newStep(false)) {
                // Every token takes UmlsBERT's row 0 (zero): PyTorch's logits of the base without the tensor.
                BertReferenceTest.assertClose(
                        want.floats("logits"),
                        m.classify(ctx, in.batch(), List.of()).toFloatArray(),
                        "logits");
            }
            Map<String, long[]> shapes = new LinkedHashMap<>();
            try (SafeTensorsReader r = SafeTensors.open(dir.resolve("model.safetensors"))) {
                r.entries().forEach((n, e) -> shapes.put(n, e.shape()));
            }
            assertEquals(List.of(TUI), BertCheckpoint.semanticTypeEmbeddings(BertCheckpoint.canonicalNames(shapes)));
        } finally {
            if (before == null) System.clearProperty(BertCheckpoint.IGNORE_SEMANTIC_TYPES);
            else System.setProperty(BertCheckpoint.IGNORE_SEMANTIC_TYPES, before);
        }
    }

    @Test
    void otherUnexpectedTensorsAreStillRefusedWithTheOptIn() throws IOException {
        BertConfig config = (BertConfig) BaseModelConfig.read(BertReferenceTest.DIR.resolve("base/config.json"));
        Map<String, long[]> shapes = new LinkedHashMap<>(BertCheckpoint.expectedTensors(config));
        shapes.put("bert.embeddings.extra.weight", new long[] {3, 32});
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> BertCheckpoint.check(config, shapes, true));
        assertTrue(e.getMessage().contains("unexpected tensor 'bert.embeddings.extra.weight'"), e.getMessage());
    }
}
