package org.clinlora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.io.SafeTensorsReader;
import org.clinlora.model.llama.TestResources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as users and checks call it: its flags, its outputs, and one-line errors with exit code 2. */
class MainTest {
    static final Path GOLDEN = TestResources.path("golden");

    @TempDir
    Path dir;

    record Outcome(int code, String out, String err) {}

    static synchronized Outcome run(String... argv) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            return new Outcome(Main.run(argv), o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void forwardWithBothGoldenAdaptersStacksThemInOrder() throws IOException {
        Path out = dir.resolve("out.safetensors");
        Outcome r = run(
                "forward",
                "--model",
                GOLDEN.resolve("base").toString(),
                "--adapter",
                GOLDEN.resolve("clinical").toString(),
                "--adapter",
                GOLDEN.resolve("downstream").toString(),
                "--input",
                GOLDEN.resolve("inputs.safetensors").toString(),
                "--output",
                out.toString());
        assertEquals(0, r.code(), r.err());
        try (SafeTensorsReader got = SafeTensors.open(out);
                SafeTensorsReader want = SafeTensors.open(GOLDEN.resolve("expected.safetensors"));
                SafeTensorsReader in = SafeTensors.open(GOLDEN.resolve("inputs.safetensors"))) {
            assertEquals(SafeTensors.Dtype.F32, got.entry("logits").dtype());
            assertEquals(
                    List.of(3L, 12L, 256L),
                    Arrays.stream(got.entry("logits").shape()).boxed().toList());
            long[] mask = in.longs("attention_mask");
            float[] g = got.floats("logits"), w = want.floats("logits_both");
            for (int p = 0; p < mask.length; p++) {
                if (mask[p] == 0) continue;
                for (int v = 0; v < 256; v++) assertEquals(w[p * 256 + v], g[p * 256 + v], 1e-4);
            }
            float[] cls = got.floats("cls_logits"), wc = want.floats("cls_both");
            for (int i = 0; i < wc.length; i++) assertEquals(wc[i], cls[i], 1e-4);
        }
    }

    @Test
    void theReadmeFlowMakesATinyModelTokenizesAndRunsForward() throws IOException {
        Path model = dir.resolve("tiny"), in = dir.resolve("in.safetensors"), out = dir.resolve("out.safetensors");
        assertEquals(
                0,
                run(
                                "make-tiny-model",
                                "--out",
                                model.toString(),
                                "--vocab",
                                "600",
                                "--hidden",
                                "32",
                                "--layers",
                                "1",
                                "--heads",
                                "4",
                                "--kv-heads",
                                "2",
                                "--seed",
                                "1")
                        .code());
        assertEquals(
                0,
                run(
                                "make-inputs",
                                "--model",
                                model.toString(),
                                "--text",
                                "Chest pain.",
                                "--text",
                                "Patient denies fever and chills.",
                                "--out",
                                in.toString())
                        .code());
        Outcome r = run("forward", "--model", model.toString(), "--input", in.toString(), "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        try (SafeTensorsReader got = SafeTensors.open(out)) {
            long[] shape = got.entry("logits").shape();
            assertEquals(2, shape[0]);
            assertEquals(600, shape[2]);
            assertTrue(!got.contains("cls_logits"), "no adapter carries a score head");
        }
    }

    @Test
    void badArgumentsPathsAndShapesGiveOneLineAndExitCode2() throws IOException {
        Path badInput = dir.resolve("bad.safetensors");
        SafeTensors.write(
                badInput,
                Map.of("input_ids", SafeTensors.Tensor.f32(new long[] {2, 2}, new float[] {1, 2, 3, 4})),
                null);
        String base = GOLDEN.resolve("base").toString();
        String[][] cases = {
            {
                "forward",
                "--model",
                base,
                "--input",
                badInput.toString(),
                "--output",
                dir.resolve("o").toString()
            },
            {"forward", "--model", dir.resolve("missing").toString(), "--input", badInput.toString(), "--output", "o"},
            {
                "forward",
                "--model",
                base,
                "--input",
                dir.resolve("nope.safetensors").toString(),
                "--output",
                "o"
            },
            {
                "forward",
                "--model",
                base,
                "--adapter",
                base,
                "--input",
                GOLDEN.resolve("inputs.safetensors").toString(),
                "--output",
                "o"
            },
            {"forward", "--model", base, "--bogus", "1"},
            {"forward", "--model", base, "--device", "tpu", "--input", "x", "--output", "y"},
            {"make-tiny-model", "--out", dir.resolve("t").toString(), "--hidden", "30", "--heads", "4"},
            {"make-tiny-model", "--out", dir.resolve("t2").toString(), "--vocab", "10"},
            {"bench", "sideways"},
            {
                "forward",
                "--model",
                base,
                "--precision",
                "bf16",
                "--input",
                GOLDEN.resolve("inputs.safetensors").toString(),
                "--output",
                "o"
            },
            {"bench", "scale", "--precision", "bf16", "--layers", "1"},
            {"make-tiny-model", "--out", dir.resolve("t3").toString(), "--preset", "llama-2-7b", "--hidden", "64"},
            {"no-such-command"},
            {"adapters", "pull", "Bad Name@x", "--out", dir.resolve("p").toString()},
            {"adapters", "push", dir.resolve("no-adapter").toString(), "--name", "x"},
            {"adapters", "promote", "los", "0"},
            {"jobs", "watch", "j", "--interval", "0"},
        };
        for (String[] c : cases) {
            Outcome r = run(c);
            assertEquals(2, r.code(), String.join(" ", c) + " -> " + r.err());
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
            assertTrue(!r.err().contains("Exception") && !r.err().contains("\tat "), r.err());
        }
        assertTrue(!Files.exists(dir.resolve("o")), "a failed forward writes nothing");
        Outcome bf16 = run(
                "forward",
                "--model",
                base,
                "--precision",
                "bf16",
                "--input",
                GOLDEN.resolve("inputs.safetensors").toString(),
                "--output",
                "o");
        assertTrue(
                bf16.err().contains("bf16 is not supported") && bf16.err().contains("DJL"),
                "names the engine's limitation: " + bf16.err());
        assertEquals(
                0,
                run(
                                "forward",
                                "--model",
                                base,
                                "--precision",
                                "fp16",
                                "--input",
                                GOLDEN.resolve("inputs.safetensors").toString(),
                                "--output",
                                dir.resolve("fp16.safetensors").toString())
                        .code(),
                "the same JVM goes on, and fp16 runs on CPU");
    }

    @Test
    void everyCommandAnswersHelpAndVersion() {
        for (String c : Main.commandNames()) {
            Outcome r = run(c, "--help");
            assertEquals(0, r.code(), c + ": " + r.err());
            assertTrue(r.out().contains("Usage: clinlora " + c), r.out());
            assertTrue(r.out().contains("CLINLORA_TOKEN"), c + "'s help names the token variable: " + r.out());
            Outcome v = run(c, "--version");
            assertEquals(0, v.code());
            assertTrue(v.out().startsWith("clinlora "), v.out());
        }
        for (String c : List.of("train", "forward", "tokenize", "registry", "score", "scale")) {
            assertTrue(run("bench", c, "-h").out().contains("Usage: clinlora bench " + c));
        }
        // The benches that start services work in a bucket of their own, never the user's (issue 33).
        for (String c : List.of("registry", "score", "soak")) {
            String help = run("bench", c, "-h").out();
            assertTrue(help.contains("--bucket=NAME") && help.contains("--keep"), help);
            assertTrue(help.contains("bench-<id> bucket"), help);
        }
        Outcome overview = run("--help");
        assertEquals(0, overview.code());
        for (String c : Main.commandNames()) {
            if (!c.equals("demo-run")) assertTrue(overview.out().contains(c), "the overview lists " + c);
        }
    }

    @Test
    void aMistypedOptionGetsAHintOnOneLine() {
        Outcome r = run("make-tiny-model", "--out", dir.resolve("m").toString(), "--hiden", "32");
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("--hiden") && r.err().contains("did you mean --hidden"), r.err());
        assertEquals(2, run().code(), "no command is a usage error");
    }

    @Test
    void optionsTakeTheirValueAfterAnEqualsSignToo() throws IOException {
        Path model = dir.resolve("eq");
        assertEquals(
                0,
                run("make-tiny-model", "--out=" + model, "--vocab=600", "--hidden=32", "--layers=1", "--heads=4")
                        .code());
        assertTrue(Files.isRegularFile(model.resolve("config.json")));
    }
}
