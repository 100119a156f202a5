package org.clinlora.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.clinlora.cli.command.CliCommand;
import org.clinlora.cli.command.CliVersion;
import org.clinlora.model.bert.BertConfig;
import org.clinlora.model.bert.TinyBert;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.llama.TinyLlama;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "make-tiny-model",
        mixinStandardHelpOptions = true,
        versionProvider = CliVersion.class,
        description =
                "A small random LLaMA (or, with --family bert, a BERT encoder) in Hugging Face layout (config.json, model.safetensors, tokenizer.json).",
        footer = {
            "The tokenizer (LLaMA: BPE, byte_fallback, \u2581 word marker; BERT: uncased WordPiece) is learned from generated",
            "clinical text. DIR must not exist or be empty; --overwrite replaces a model directory made earlier."
        })
final class MakeTinyModelCommand extends CliCommand {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the model directory to write")
    Path out;

    @Option(
            names = "--family",
            defaultValue = "llama",
            paramLabel = "FAMILY",
            description =
                    "llama (a decoder, the paper's base) or bert (an encoder like the paper's BERT-family baselines; hidden 64, "
                            + "intermediate 4 x hidden, 512 positions, at most 2000 WordPiece tokens by default) (default ${DEFAULT-VALUE})")
    String family;

    @Option(
            names = "--preset",
            paramLabel = "SHAPE",
            description =
                    "llama-2-7b: LLaMA-2-7B's shape (vocab 32000, hidden 4096, "
                            + "32 layers, 32 heads, intermediate 11008, 4096 positions) in fp16, sharded; combine with --layers to shorten it")
    String preset;

    @Option(names = "--vocab", description = "vocabulary size (default 1000)")
    Integer vocab;

    @Option(names = "--hidden", description = "hidden size (default 64)")
    Integer hidden;

    @Option(names = "--layers", description = "decoder layers (default 2; 32 with --preset llama-2-7b)")
    Integer layers;

    @Option(names = "--heads", description = "attention heads (default 4)")
    Integer heads;

    @Option(names = "--kv-heads", description = "key/value heads (default heads/2; all heads with the preset)")
    Integer kvHeads;

    @Option(names = "--intermediate", description = "MLP width (default 2/3 of 4 x hidden, rounded up to 16)")
    Integer intermediate;

    @Option(names = "--max-positions", description = "max_position_embeddings (default 2048)")
    Integer maxPositions;

    @Option(names = "--dtype", description = "fp32 or fp16 weights (default fp32; fp16 with the preset)")
    String dtype;

    @Option(
            names = "--max-shard-size",
            defaultValue = "5GB",
            paramLabel = "SIZE",
            description =
                    "shard the weights above this size, as save_pretrained: e.g. 5GB, 500MB (default ${DEFAULT-VALUE})")
    String maxShardSize;

    @Option(names = "--tie", description = "tie lm_head to the embeddings")
    boolean tie;

    @Option(names = "--seed", defaultValue = "0", description = "random seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--overwrite", description = "replace a model directory made earlier")
    boolean overwrite;

    @Override
    protected void execute() throws IOException {
        if (!family.equals("llama") && !family.equals("bert"))
            throw new IllegalArgumentException("--family must be llama or bert, got '" + family + "'");
        boolean llama7b = preset != null;
        if (llama7b) checkPreset();
        int vocab = or(this.vocab, llama7b ? 32000 : 1000), hidden = or(this.hidden, llama7b ? 4096 : 64);
        int layers = or(this.layers, llama7b ? 32 : 2), heads = or(this.heads, llama7b ? 32 : 4);
        int maxPositions = or(this.maxPositions, llama7b ? 4096 : 2048);
        atLeast("--hidden", hidden, 2);
        atLeast("--heads", heads, 1);
        atLeast("--vocab", vocab, 1);
        atLeast("--layers", layers, 1);
        atLeast("--max-positions", maxPositions, 1);
        atLeast("--seed", seed, 0);
        int kv = kvHeads != null ? kvHeads : llama7b ? heads : Math.max(1, heads / 2);
        int ffn = intermediate != null ? intermediate : llama7b ? 11008 : TinyLlama.Spec.defaultIntermediate(hidden);
        atLeast("--kv-heads", kv, 1);
        atLeast("--intermediate", ffn, 1);
        if (family.equals("bert")) {
            if (llama7b || kvHeads != null || tie || dtype != null)
                throw new IllegalArgumentException("--preset, --kv-heads, --tie and --dtype are for --family llama");
            writeBert(
                    or(this.vocab, 2000),
                    hidden,
                    layers,
                    heads,
                    or(intermediate, 4 * hidden),
                    or(this.maxPositions, 512));
            return;
        }
        SafeTensors.Dtype weights = weightDtype(dtype == null ? (llama7b ? "fp16" : "fp32") : dtype);
        long shardBytes = parseSize(maxShardSize);
        TinyLlama.Spec spec = new TinyLlama.Spec(vocab, hidden, layers, heads, kv, ffn, maxPositions, tie, seed);
        clearOut();
        long t0 = System.nanoTime();
        LlamaConfig c = TinyLlama.write(out, spec, weights, shardBytes);
        System.out.printf(
                "wrote %s: vocab %d, hidden %d, layers %d, heads %d/%d kv, intermediate %d, %s, %.2f GB in %.1f s%n",
                out,
                c.vocabSize(),
                c.hiddenSize(),
                c.numHiddenLayers(),
                c.numAttentionHeads(),
                c.numKeyValueHeads(),
                c.intermediateSize(),
                c.torchDtype(),
                weightBytes(out) / 1e9,
                (System.nanoTime() - t0) / 1e9);
    }

    /** --preset names LLaMA-2-7B and sets its shape; only the depth, dtype, shard size and seed may be given. */
    private void checkPreset() {
        if (!preset.equals("llama-2-7b"))
            throw new IllegalArgumentException("--preset must be llama-2-7b, got '" + preset + "'");
        if (vocab != null
                || hidden != null
                || heads != null
                || kvHeads != null
                || intermediate != null
                || maxPositions != null) {
            throw new IllegalArgumentException(
                    "--preset llama-2-7b sets the shape; only --layers, --dtype, --max-shard-size and --seed combine with it");
        }
    }

    private static SafeTensors.Dtype weightDtype(String name) {
        return switch (name) {
            case "fp32" -> SafeTensors.Dtype.F32;
            case "fp16" -> SafeTensors.Dtype.F16;
            default -> throw new IllegalArgumentException("--dtype must be fp32 or fp16, got '" + name + "'");
        };
    }

    private void writeBert(int vocab, int hidden, int layers, int heads, int ffn, int maxPositions) throws IOException {
        TinyBert.Spec spec = new TinyBert.Spec(vocab, hidden, layers, heads, ffn, maxPositions, seed);
        clearOut();
        long t0 = System.nanoTime();
        BertConfig c = TinyBert.write(out, spec);
        System.out.printf(
                "wrote %s: BERT, vocab %d, hidden %d, layers %d, heads %d, intermediate %d, float32, %.2f GB in %.1f s%n",
                out,
                c.vocabSize(),
                c.hiddenSize(),
                c.numHiddenLayers(),
                c.numAttentionHeads(),
                c.intermediateSize(),
                weightBytes(out) / 1e9,
                (System.nanoTime() - t0) / 1e9);
    }

    private void clearOut() throws IOException {
        if (Files.exists(out)
                && (!Files.isDirectory(out) || Files.list(out).findAny().isPresent())) {
            // --overwrite replaces an earlier model directory, never an arbitrary one
            if (!overwrite || !Files.isRegularFile(out.resolve("config.json"))) {
                throw new IllegalArgumentException(out + " exists and is not an empty directory"
                        + (overwrite
                                ? " holding a model (no config.json)"
                                : "; pass --overwrite to replace a model there"));
            }
            PeftAdapterDir.deleteTree(out);
        }
    }

    private static int or(Integer v, int d) {
        return v == null ? d : v;
    }

    /** save_pretrained's max_shard_size spelling: a number with KB, MB or GB (decimal, as Hugging Face counts). */
    static long parseSize(String size) {
        Matcher m = Pattern.compile("(\\d+)\\s*(KB|MB|GB)?", Pattern.CASE_INSENSITIVE)
                .matcher(size.trim());
        if (!m.matches())
            throw new IllegalArgumentException("--max-shard-size must look like 5GB or 500MB, got '" + size + "'");
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "" : m.group(2).toUpperCase(Locale.ROOT);
        long bytes = n
                * switch (unit) {
                    case "KB" -> 1_000L;
                    case "MB" -> 1_000_000L;
                    case "GB" -> 1_000_000_000L;
                    default -> 1L;
                };
        if (bytes <= 0) throw new IllegalArgumentException("--max-shard-size must be positive");
        return bytes;
    }

    private static long weightBytes(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".safetensors"))
                    .mapToLong(f -> f.toFile().length())
                    .sum();
        }
    }
}
