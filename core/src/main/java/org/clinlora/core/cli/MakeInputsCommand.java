package org.clinlora.core.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.clinlora.core.io.HfModelDir;
import org.clinlora.core.io.SafeTensors;
import org.clinlora.core.model.LlamaConfig;
import org.clinlora.core.text.ClinicalTokenizer;

final class MakeInputsCommand implements Main.Command {
    @Override
    public String usage() {
        return """
                tokenize texts with a model's tokenizer.json into a forward input file
                usage: ./clinlora make-inputs --model DIR --text "..." [--text "..."]... --out IN.safetensors
                  writes input_ids I64 [B,T] (with <s>, right-padded with pad_token_id) and attention_mask I64 [B,T].""";
    }

    @Override
    public void run(String[] argv) throws IOException {
        Args a = new Args(argv, 1, Set.of());
        Path model = Path.of(a.required("model"));
        List<String> texts = a.all("text");
        Path out = Path.of(a.required("out"));
        a.rejectUnknown();
        if (texts.isEmpty()) throw new Args.UsageException("give at least one --text");
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
