package org.clinlora.cli;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.clinlora.cli.command.CliCommand;
import org.clinlora.cli.command.CliVersion;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.io.NdArrays;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.io.SafeTensorsReader;
import org.clinlora.model.llama.LlamaModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "forward",
        mixinStandardHelpOptions = true,
        versionProvider = CliVersion.class,
        description = "Logits (and classification logits) of a base model with stacked adapters.",
        footer = {
            "IN: input_ids [B,T] (I64 or I32) and attention_mask [B,T] (right-padded; all ones if absent).",
            "Every --adapter is active, stacked in the order given (their deltas summed).",
            "OUT: logits F32 [B,T,V]; cls_logits F32 [B,C] when an adapter carries the score head."
        })
final class ForwardCommand extends CliCommand {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "a Hugging Face model directory")
    Path modelDir;

    @Option(names = "--adapter", paramLabel = "DIR", description = "a PEFT adapter directory (repeat to stack)")
    List<String> adapterDirs = List.of();

    @Option(
            names = "--input",
            required = true,
            paramLabel = "IN.safetensors",
            description = "input_ids and attention_mask")
    Path input;

    @Option(
            names = "--output",
            required = true,
            paramLabel = "OUT.safetensors",
            description = "the logits file to write")
    Path output;

    @Option(
            names = "--device",
            defaultValue = "cpu",
            description = "auto, cpu, cuda or cuda:N (default ${DEFAULT-VALUE})")
    String device;

    @Option(
            names = "--precision",
            defaultValue = "fp32",
            description = "fp32 or fp16 (bf16 is refused: DJL 0.36 has no bfloat16; default ${DEFAULT-VALUE})")
    String precision;

    @Override
    protected void execute() throws IOException {
        Compute compute = Compute.parse(device, precision);
        TokenBatch batch = readInputs(input);
        try (LlamaModel model = LlamaModel.load(modelDir, compute)) {
            List<String> active = PeftAdapterDir.loadStack(model, adapterDirs);
            Map<String, SafeTensors.Tensor> out = new LinkedHashMap<>();
            try (StepContext ctx = model.newStep(false)) {
                NDArray hidden = model.hiddenStates(ctx, batch, active);
                out.put("logits", NdArrays.toTensor(model.lmLogits(ctx, hidden)));
                if (model.hasScoreHead(active)) {
                    out.put("cls_logits", NdArrays.toTensor(model.classify(ctx, hidden, batch, active)));
                }
            }
            SafeTensors.write(output, out, null);
            System.out.printf(
                    "wrote %s: logits %s%s%n",
                    output,
                    Arrays.toString(out.get("logits").shape()),
                    out.containsKey("cls_logits")
                            ? ", cls_logits "
                                    + Arrays.toString(out.get("cls_logits").shape())
                            : "");
        }
    }

    static TokenBatch readInputs(Path input) throws IOException {
        try (SafeTensorsReader r = SafeTensors.open(input)) {
            if (!r.contains("input_ids")) throw new IllegalArgumentException(input + ": has no input_ids tensor");
            long[] shape = r.entry("input_ids").shape();
            if (shape.length != 2 || shape[0] == 0 || shape[1] == 0) {
                throw new IllegalArgumentException(
                        input + ": input_ids must be a non-empty [B,T] tensor, got " + Arrays.toString(shape));
            }
            SafeTensors.Dtype dt = r.entry("input_ids").dtype();
            if (dt != SafeTensors.Dtype.I64 && dt != SafeTensors.Dtype.I32) {
                throw new IllegalArgumentException(input + ": input_ids must be I64 or I32, got " + dt);
            }
            long[] ids = r.longs("input_ids");
            long[] mask;
            if (r.contains("attention_mask")) {
                if (!Arrays.equals(r.entry("attention_mask").shape(), shape)) {
                    throw new IllegalArgumentException(input + ": attention_mask shape "
                            + Arrays.toString(r.entry("attention_mask").shape()) + " differs from input_ids "
                            + Arrays.toString(shape));
                }
                mask = r.longs("attention_mask");
            } else {
                mask = new long[ids.length];
                Arrays.fill(mask, 1);
            }
            return new TokenBatch(Math.toIntExact(shape[0]), Math.toIntExact(shape[1]), ids, mask);
        }
    }
}
