package org.clinlora.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.llama.TinyLlama;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "make-tiny-model", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A small random LLaMA in Hugging Face layout (config.json, model.safetensors, tokenizer.json).",
        footer = {"The tokenizer (BPE, byte_fallback, \u2581 word marker) is learned from generated clinical text. DIR must not",
                "exist or be empty; --overwrite replaces a model directory made earlier."})
final class MakeTinyModelCommand extends CliCommand {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the model directory to write")
    Path out;
    @Option(names = "--vocab", defaultValue = "1000", description = "vocabulary size (default ${DEFAULT-VALUE})")
    int vocab;
    @Option(names = "--hidden", defaultValue = "64", description = "hidden size (default ${DEFAULT-VALUE})")
    int hidden;
    @Option(names = "--layers", defaultValue = "2", description = "decoder layers (default ${DEFAULT-VALUE})")
    int layers;
    @Option(names = "--heads", defaultValue = "4", description = "attention heads (default ${DEFAULT-VALUE})")
    int heads;
    @Option(names = "--kv-heads", description = "key/value heads (default heads/2)")
    Integer kvHeads;
    @Option(names = "--intermediate", description = "MLP width (default 2/3 of 4 x hidden, rounded up to 16)")
    Integer intermediate;
    @Option(names = "--max-positions", defaultValue = "2048", description = "max_position_embeddings (default ${DEFAULT-VALUE})")
    int maxPositions;
    @Option(names = "--tie", description = "tie lm_head to the embeddings")
    boolean tie;
    @Option(names = "--seed", defaultValue = "0", description = "random seed (default ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--overwrite", description = "replace a model directory made earlier")
    boolean overwrite;

    @Override
    void execute() throws IOException {
        atLeast("--hidden", hidden, 2);
        atLeast("--heads", heads, 1);
        atLeast("--vocab", vocab, 1);
        atLeast("--layers", layers, 1);
        atLeast("--max-positions", maxPositions, 1);
        atLeast("--seed", seed, 0);
        int kv = kvHeads == null ? Math.max(1, heads / 2) : kvHeads;
        int ffn = intermediate == null ? TinyLlama.Spec.defaultIntermediate(hidden) : intermediate;
        atLeast("--kv-heads", kv, 1);
        atLeast("--intermediate", ffn, 1);
        TinyLlama.Spec spec = new TinyLlama.Spec(vocab, hidden, layers, heads, kv, ffn, maxPositions, tie, seed);
        if (Files.exists(out) && (!Files.isDirectory(out) || Files.list(out).findAny().isPresent())) {
            // --overwrite replaces an earlier model directory, never an arbitrary one
            if (!overwrite || !Files.isRegularFile(out.resolve("config.json"))) {
                throw new IllegalArgumentException(out + " exists and is not an empty directory"
                        + (overwrite ? " holding a model (no config.json)" : "; pass --overwrite to replace a model there"));
            }
            PeftAdapterDir.deleteTree(out);
        }
        LlamaConfig c = TinyLlama.write(out, spec);
        System.out.printf("wrote %s: vocab %d, hidden %d, layers %d, heads %d/%d kv, intermediate %d%n",
                out, c.vocabSize(), c.hiddenSize(), c.numHiddenLayers(), c.numAttentionHeads(), c.numKeyValueHeads(),
                c.intermediateSize());
    }
}
