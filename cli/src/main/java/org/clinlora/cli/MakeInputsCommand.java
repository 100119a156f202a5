package org.clinlora.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.clinlora.cli.command.CliCommand;
import org.clinlora.cli.command.CliVersion;
import org.clinlora.model.io.HfModelDir;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.text.ClinicalTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "make-inputs",
        mixinStandardHelpOptions = true,
        versionProvider = CliVersion.class,
        description = "Tokenize texts with a model's tokenizer.json into a forward input file.",
        footer = "Writes input_ids I64 [B,T] (with <s>, right-padded with pad_token_id) and attention_mask I64 [B,T].")
final class MakeInputsCommand extends CliCommand {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "a Hugging Face model directory")
    Path model;

    @Option(names = "--text", required = true, description = "a text (repeat for a batch)")
    List<String> texts;

    @Option(names = "--out", required = true, paramLabel = "IN.safetensors", description = "the input file to write")
    Path out;

    @Override
    protected void execute() throws IOException {
        LlamaConfig config = HfModelDir.readConfig(model);
        List<long[]> rows = new ArrayList<>();
        try (ClinicalTokenizer tok = ClinicalTokenizer.load(model)) {
            for (String t : texts) rows.add(tok.encode(t, true));
        }
        int b = rows.size(), len = rows.stream().mapToInt(r -> r.length).max().orElse(1);
        long pad = config.padTokenId() == null ? 0 : config.padTokenId();
        long[] ids = new long[b * len], mask = new long[b * len];
        for (int i = 0; i < b; i++) {
            long[] r = rows.get(i);
            for (int j = 0; j < len; j++) {
                ids[i * len + j] = j < r.length ? r[j] : pad;
                mask[i * len + j] = j < r.length ? 1 : 0;
            }
        }
        Map<String, SafeTensors.Tensor> t = new LinkedHashMap<>();
        t.put("input_ids", SafeTensors.Tensor.i64(new long[] {b, len}, ids));
        t.put("attention_mask", SafeTensors.Tensor.i64(new long[] {b, len}, mask));
        SafeTensors.write(out, t, null);
        System.out.printf("wrote %s: %d sequence(s), %d positions%n", out, b, len);
    }
}
