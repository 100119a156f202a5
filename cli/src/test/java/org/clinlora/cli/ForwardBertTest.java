package org.clinlora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongUnaryOperator;
import java.util.function.UnaryOperator;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.io.SafeTensorsReader;
import org.clinlora.model.llama.TestResources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./clinlora forward} on a BERT-family folder: the model library's bert-reference fixture (a small
 * BertForSequenceClassification and a PEFT SEQ_CLS LoRA, with logits PyTorch computed after modeling_bert.py) gives
 * PyTorch's classification logits, with and without the adapter; token_type_ids pick their embedding rows.
 */
class ForwardBertTest {
    static final Path REF = TestResources.path("bert-reference");
    /** BertReferenceTest's tolerance for the same fixture. */
    static final double TOL = 1e-4;

    static final String TOKEN_TYPES = "bert.embeddings.token_type_embeddings.weight";

    @TempDir
    Path dir;

    MainTest.Outcome forward(Path model, Path inputs, Path out, String... adapters) {
        List<String> argv = new ArrayList<>(List.of("forward", "--model", model.toString()));
        for (String a : adapters) argv.addAll(List.of("--adapter", a));
        argv.addAll(List.of("--input", inputs.toString(), "--output", out.toString()));
        return MainTest.run(argv.toArray(String[]::new));
    }

    static float[] expected(String key) throws IOException {
        try (SafeTensorsReader want = SafeTensors.open(REF.resolve("expected.safetensors"))) {
            return want.floats(key);
        }
    }

    static void assertClsLogits(float[] want, Path out) throws IOException {
        try (SafeTensorsReader got = SafeTensors.open(out)) {
            assertEquals(List.of("cls_logits"), List.copyOf(got.entries().keySet()), "an encoder has no LM logits");
            assertEquals(SafeTensors.Dtype.F32, got.entry("cls_logits").dtype());
            assertEquals(
                    List.of(3L, 3L),
                    Arrays.stream(got.entry("cls_logits").shape()).boxed().toList());
            float[] g = got.floats("cls_logits");
            for (int i = 0; i < want.length; i++) assertEquals(want[i], g[i], TOL, "cls_logits[" + i + "]");
        }
    }

    @Test
    void aBertCheckpointGivesPyTorchsClassificationLogits() throws IOException {
        Path out = dir.resolve("out.safetensors");
        MainTest.Outcome r = forward(REF.resolve("base"), REF.resolve("inputs.safetensors"), out);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("cls_logits [3, 3]"), r.out());
        assertClsLogits(expected("logits"), out);
    }

    @Test
    void aPeftLoraWithItsClassifierGivesPyTorchsLogits() throws IOException {
        Path out = dir.resolve("out.safetensors");
        MainTest.Outcome r = forward(
                REF.resolve("base"),
                REF.resolve("inputs.safetensors"),
                out,
                REF.resolve("adapter").toString());
        assertEquals(0, r.code(), r.err());
        assertClsLogits(expected("lora_logits"), out);
    }

    @Test
    void tokenTypeIdsPickTheirRowOfTheTypeEmbeddings() throws IOException {
        // The base with type rows 0 and 1 swapped, fed type 1 everywhere, is the reference base fed type 0.
        Path swapped = copyBase("swapped", tensors -> {
            SafeTensors.Tensor t = tensors.get(TOKEN_TYPES);
            float[] v = floats(t);
            int h = (int) t.shape()[1];
            float[] s = v.clone();
            System.arraycopy(v, 0, s, h, h);
            System.arraycopy(v, h, s, 0, h);
            tensors.put(TOKEN_TYPES, SafeTensors.Tensor.f32(t.shape(), s));
            return tensors;
        });
        Path out = dir.resolve("out.safetensors");
        assertEquals(0, forward(swapped, inputsWithTypes(i -> 1L), out).code());
        assertClsLogits(expected("logits"), out);

        // A sentence pair's types (0 then 1) on the reference base: the swapped base with types flipped agrees,
        // and the logits differ from the all-zero types'.
        Path pair = dir.resolve("pair.safetensors"), flipped = dir.resolve("flipped.safetensors");
        assertEquals(
                0,
                forward(REF.resolve("base"), inputsWithTypes(i -> i % 10 < 4 ? 0L : 1L), pair)
                        .code());
        assertEquals(
                0,
                forward(swapped, inputsWithTypes(i -> i % 10 < 4 ? 1L : 0L), flipped)
                        .code());
        float[] p, f;
        try (SafeTensorsReader a = SafeTensors.open(pair);
                SafeTensorsReader b = SafeTensors.open(flipped)) {
            p = a.floats("cls_logits");
            f = b.floats("cls_logits");
        }
        for (int i = 0; i < p.length; i++) assertEquals(p[i], f[i], TOL);
        float[] zeros = expected("logits");
        double moved = 0;
        for (int i = 0; i < p.length; i++) moved = Math.max(moved, Math.abs(p[i] - zeros[i]));
        assertTrue(moved > 1e-2, "the second segment's type changes the logits: " + moved);
    }

    @Test
    void anEncoderWithoutAClassifierOrBadTokenTypesIsOneLineAndExitCode2() throws IOException {
        Path headless = copyBase("headless", tensors -> {
            tensors.keySet().removeIf(n -> n.startsWith("classifier."));
            return tensors;
        });
        MainTest.Outcome r = forward(headless, REF.resolve("inputs.safetensors"), dir.resolve("o1"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("classifier") && r.err().contains("--adapter"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());

        r = forward(REF.resolve("base"), inputsWithTypes(i -> 2L), dir.resolve("o2"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("type_vocab_size"), r.err());

        // A decoder has no token types: non-zero ones are refused rather than dropped.
        Path golden = TestResources.path("golden");
        Path llamaInputs = dir.resolve("llama-in.safetensors");
        Map<String, SafeTensors.Tensor> t = read(golden.resolve("inputs.safetensors"));
        long[] shape = t.get("input_ids").shape();
        long[] ones = new long[(int) (shape[0] * shape[1])];
        Arrays.fill(ones, 1);
        t.put("token_type_ids", SafeTensors.Tensor.i64(shape, ones));
        SafeTensors.write(llamaInputs, t, null);
        r = forward(golden.resolve("base"), llamaInputs, dir.resolve("o3"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("token_type_ids"), r.err());
        assertFalse(
                Files.exists(dir.resolve("o1")) || Files.exists(dir.resolve("o2")) || Files.exists(dir.resolve("o3")));
    }

    /** The fixture's inputs with token_type_ids given by flat position. */
    Path inputsWithTypes(LongUnaryOperator type) throws IOException {
        Map<String, SafeTensors.Tensor> t = read(REF.resolve("inputs.safetensors"));
        long[] shape = t.get("input_ids").shape();
        long[] types = new long[(int) (shape[0] * shape[1])];
        for (int i = 0; i < types.length; i++) types[i] = type.applyAsLong(i);
        t.put("token_type_ids", SafeTensors.Tensor.i64(shape, types));
        Path p = Files.createTempFile(dir, "inputs", ".safetensors");
        SafeTensors.write(p, t, null);
        return p;
    }

    /** A copy of the reference base with its tensors edited. */
    Path copyBase(String name, UnaryOperator<Map<String, SafeTensors.Tensor>> edit) throws IOException {
        Path base = REF.resolve("base"), copy = Files.createDirectories(dir.resolve(name));
        Files.copy(base.resolve("config.json"), copy.resolve("config.json"));
        SafeTensors.write(copy.resolve("model.safetensors"), edit.apply(read(base.resolve("model.safetensors"))), null);
        return copy;
    }

    static Map<String, SafeTensors.Tensor> read(Path file) throws IOException {
        Map<String, SafeTensors.Tensor> out = new LinkedHashMap<>();
        try (SafeTensorsReader r = SafeTensors.open(file)) {
            for (Map.Entry<String, SafeTensors.Entry> e : r.entries().entrySet()) {
                long[] shape = e.getValue().shape();
                out.put(
                        e.getKey(),
                        e.getValue().dtype() == SafeTensors.Dtype.F32
                                ? SafeTensors.Tensor.f32(shape, r.floats(e.getKey()))
                                : SafeTensors.Tensor.i64(shape, r.longs(e.getKey())));
            }
        }
        return out;
    }

    static float[] floats(SafeTensors.Tensor t) {
        float[] v = new float[Math.toIntExact(Arrays.stream(t.shape()).reduce(1, (a, b) -> a * b))];
        t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }
}
