package org.clinlora.core.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.clinlora.core.io.PeftAdapterDir;
import org.clinlora.core.model.LlamaConfig;
import org.clinlora.core.model.TinyLlama;

final class MakeTinyModelCommand implements Main.Command {
    @Override
    public String usage() {
        return """
                a small random LLaMA in Hugging Face layout (config.json, model.safetensors, tokenizer.json)
                usage: ./clinlora make-tiny-model --out DIR [--vocab N] [--hidden N] [--layers N] [--heads N]
                                                  [--kv-heads N] [--intermediate N] [--max-positions N] [--tie] [--seed N]
                                                  [--overwrite]
                  defaults: vocab 1000, hidden 64, layers 2, heads 4, kv-heads 2, intermediate 2/3·4·hidden rounded up
                  to 16, max-positions 2048, untied lm_head, seed 0. The tokenizer (BPE, byte_fallback, ▁ word marker)
                  is learned from generated clinical text. DIR must not exist or be empty; --overwrite replaces
                  a model directory made earlier.""";
    }

    @Override
    public void run(String[] argv) throws IOException {
        Args a = new Args(argv, 1, Set.of("tie", "overwrite"));
        Path out = Path.of(a.required("out"));
        int hidden = a.intValue("hidden", 64, 2);
        int heads = a.intValue("heads", 4, 1);
        TinyLlama.Spec spec = new TinyLlama.Spec(
                a.intValue("vocab", 1000, 1),
                hidden,
                a.intValue("layers", 2, 1),
                heads,
                a.intValue("kv-heads", Math.max(1, heads / 2), 1),
                a.intValue("intermediate", TinyLlama.Spec.defaultIntermediate(hidden), 1),
                a.intValue("max-positions", 2048, 1),
                a.has("tie"),
                a.intValue("seed", 0, 0));
        boolean overwrite = a.has("overwrite");
        a.rejectUnknown();
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
