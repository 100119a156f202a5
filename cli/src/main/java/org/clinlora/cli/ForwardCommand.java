package org.clinlora.cli;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.clinlora.cli.command.CliCommand;
import org.clinlora.cli.command.CliVersion;
import org.clinlora.model.base.BaseModel;
import org.clinlora.model.base.Compute;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;
import org.clinlora.model.bert.BertModel;
import org.clinlora.model.io.NdArrays;
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.io.SafeTensorsReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "forward",
        mixinStandardHelpOptions = true,
        versionProvider = CliVersion.class,
        description = "Logits (and classification logits) of a base model with stacked adapters.",
        footer = {
            "IN: input_ids [B,T] (I64 or I32); attention_mask [B,T] (right-padded; all ones",
            "    if absent); token_type_ids [B,T], BERT family only (all zeros if absent).",
            "Every --adapter is active, stacked in the order given (their deltas summed).",
            "OUT, LLaMA: logits F32 [B,T,V]; cls_logits F32 [B,C] when an adapter carries",
            "    the score head.",
            "OUT, BERT family: cls_logits F32 [B,C] (the classifier of the last adapter",
            "    that saves one, else the checkpoint's)."
        })
final class ForwardCommand extends CliCommand {
    @Option(
            names = "--model",
            required = true,
            paramLabel = "DIR",
            description = "a Hugging Face model directory (LLaMA or BERT family)")
    Path modelDir;

    @Option(names = "--adapter", paramLabel = "DIR", description = "a PEFT adapter directory (repeat to stack)")
    List<String> adapterDirs = List.of();

    @Option(
            names = "--input",
            required = true,
            paramLabel = "IN.safetensors",
            description = "input_ids, attention_mask (and token_type_ids)")
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

    /** A forward input file: the batch, and its token types (null: absent or all zero, type 0 everywhere). */
    record Inputs(TokenBatch batch, long[] tokenTypeIds) {}

    @Override
    protected void execute() throws IOException {
        Compute compute = Compute.parse(device, precision);
        Inputs in = readInputs(input);
        try (BaseModel model = BaseModel.load(modelDir, compute)) {
            List<String> active = PeftAdapterDir.loadStack(model, adapterDirs);
            Map<String, SafeTensors.Tensor> out = new LinkedHashMap<>();
            try (StepContext ctx = model.newStep(false)) {
                if (model.config().causalLm()) decoderOutputs(model, ctx, in, active, out);
                else out.put("cls_logits", NdArrays.toTensor(encoderLogits(model, ctx, in, active)));
            }
            SafeTensors.write(output, out, null);
            System.out.printf(
                    "wrote %s: %s%n",
                    output,
                    out.entrySet().stream()
                            .map(e -> e.getKey() + " "
                                    + Arrays.toString(e.getValue().shape()))
                            .collect(Collectors.joining(", ")));
        }
    }

    /** LLaMA: the LM logits, and the score head's logits when an adapter carries one. */
    private void decoderOutputs(
            BaseModel model, StepContext ctx, Inputs in, List<String> active, Map<String, SafeTensors.Tensor> out) {
        if (in.tokenTypeIds() != null) {
            throw new IllegalArgumentException(input + ": token_type_ids holds non-zero types, but a "
                    + model.config().modelType() + " model has no token type embeddings");
        }
        NDArray hidden = model.hiddenStates(ctx, in.batch(), active);
        out.put("logits", NdArrays.toTensor(model.lmLogits(ctx, hidden)));
        if (model.hasScoreHead(active)) {
            out.put("cls_logits", NdArrays.toTensor(model.classify(ctx, hidden, in.batch(), active)));
        }
    }

    /** An encoder (BERT family) has no LM head: its output is the classification logits, so it needs a head. */
    private NDArray encoderLogits(BaseModel model, StepContext ctx, Inputs in, List<String> active) {
        if (!model.hasScoreHead(active)) {
            throw new IllegalArgumentException(modelDir + ": a "
                    + model.config().modelType()
                    + " encoder gives classification logits only, and neither it nor an --adapter has a"
                    + " classifier (modules_to_save: [" + model.classifierHead().module() + "])");
        }
        if (in.tokenTypeIds() == null) return model.classify(ctx, in.batch(), active);
        // Only BERT reads token types; BaseModel's rows are single sequences (type 0) everywhere else.
        return ((BertModel) model).classify(ctx, in.batch(), in.tokenTypeIds(), active);
    }

    static Inputs readInputs(Path input) throws IOException {
        try (SafeTensorsReader r = SafeTensors.open(input)) {
            if (!r.contains("input_ids")) throw new IllegalArgumentException(input + ": has no input_ids tensor");
            long[] shape = r.entry("input_ids").shape();
            if (shape.length != 2 || shape[0] == 0 || shape[1] == 0) {
                throw new IllegalArgumentException(
                        input + ": input_ids must be a non-empty [B,T] tensor, got " + Arrays.toString(shape));
            }
            checkIds(input, r, "input_ids");
            long[] ids = r.longs("input_ids");
            long[] mask;
            if (r.contains("attention_mask")) {
                checkShape(input, r, "attention_mask", shape);
                mask = r.longs("attention_mask");
            } else {
                mask = new long[ids.length];
                Arrays.fill(mask, 1);
            }
            long[] types = null;
            if (r.contains("token_type_ids")) {
                checkShape(input, r, "token_type_ids", shape);
                checkIds(input, r, "token_type_ids");
                types = r.longs("token_type_ids");
                // All zero is what absent means: keep the one path (and let a decoder take the file unchanged).
                if (Arrays.stream(types).allMatch(t -> t == 0)) types = null;
            }
            return new Inputs(new TokenBatch(Math.toIntExact(shape[0]), Math.toIntExact(shape[1]), ids, mask), types);
        }
    }

    private static void checkIds(Path input, SafeTensorsReader r, String name) {
        SafeTensors.Dtype dt = r.entry(name).dtype();
        if (dt != SafeTensors.Dtype.I64 && dt != SafeTensors.Dtype.I32) {
            throw new IllegalArgumentException(input + ": " + name + " must be I64 or I32, got " + dt);
        }
    }

    private static void checkShape(Path input, SafeTensorsReader r, String name, long[] idsShape) {
        if (!Arrays.equals(r.entry(name).shape(), idsShape)) {
            throw new IllegalArgumentException(input + ": " + name + " shape "
                    + Arrays.toString(r.entry(name).shape()) + " differs from input_ids "
                    + Arrays.toString(idsShape));
        }
    }
}
