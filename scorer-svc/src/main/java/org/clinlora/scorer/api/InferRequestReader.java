package org.clinlora.scorer.api;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.TooLarge;
import org.clinlora.scorer.api.OpenInference.InferRequest;
import org.clinlora.scorer.api.OpenInference.RequestInput;
import org.clinlora.scorer.api.OpenInference.RequestOutput;
import org.clinlora.scorer.scoring.RequestChecks;

/**
 * What an Open Inference request asks of the scorer: the notes of its one BYTES input and the outputs to return — the
 * whole request checked before anything is resolved or scored, as {@code /v1/score} checks its body, and never echoed
 * in an error (notes are PHI; names and keys a client made up are not repeated either).
 *
 * <p>The input's shape is {@code [N]} or {@code [N, 1]}: KServe, Triton and MLServer clients send text batches either
 * way, and the protocol lets {@code data} be flat or nested as the shape. {@code parameters} (the request's, the
 * input's, an output's) are accepted when they hold what the protocol allows — strings, numbers, booleans — and none
 * changes the scores.
 */
final class InferRequestReader {
    static final String INPUT = "note", PROBABILITIES = "probabilities", LABELS = "labels";
    static final List<String> OUTPUTS = List.of(PROBABILITIES, LABELS);
    /** The protocol's tensor datatypes (its table, and BF16, which its text and gRPC API name). */
    static final Set<String> DATATYPES = Set.of(
            "BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "BF16", "FP32",
            "FP64", "BYTES");

    private InferRequestReader() {}

    /** The notes to score and the outputs to answer with, in the order the client asked for them. */
    record Read(List<String> notes, List<String> outputs) {}

    static Read read(InferRequest req) {
        if (req == null || req.inputs() == null || req.inputs().size() != 1)
            throw new InvalidRequest("exactly one input, '" + INPUT + "', is expected");
        parameters(req.parameters(), "the request's parameters");
        RequestInput in = req.inputs().get(0);
        if (in == null || !INPUT.equals(in.name())) throw new InvalidRequest("the input is named '" + INPUT + "'");
        parameters(in.parameters(), "input '" + INPUT + "' parameters");
        if (in.datatype() == null || !DATATYPES.contains(in.datatype()))
            throw new InvalidRequest("input '" + INPUT + "' has an unknown datatype; it is BYTES");
        if (!"BYTES".equals(in.datatype())) throw new InvalidRequest("input '" + INPUT + "' has datatype BYTES");
        if (in.data() == null || in.data().isEmpty()) throw new InvalidRequest("input '" + INPUT + "' has no data");
        List<Object> data = flatten(in);
        if (data.size() > ScoreResource.MAX_NOTES)
            throw new TooLarge("at most " + ScoreResource.MAX_NOTES + " notes per request, got " + data.size());
        List<String> notes = new ArrayList<>(data.size());
        for (int i = 0; i < data.size(); i++) {
            if (!(data.get(i) instanceof String note))
                throw new InvalidRequest("data[" + i + "] of input '" + INPUT + "' is not a string");
            RequestChecks.note("data[" + i + "]", note);
            notes.add(note);
        }
        return new Read(notes, outputs(req.outputs()));
    }

    /**
     * The input's elements, one per note: shape {@code [N]} with N strings, or {@code [N, 1]} with N strings or N
     * one-string arrays.
     */
    private static List<Object> flatten(RequestInput in) {
        List<Long> shape = in.shape();
        boolean column = shape != null && shape.size() == 2 && Long.valueOf(1).equals(shape.get(1));
        if (shape == null || !(shape.size() == 1 || column) || shape.get(0) == null)
            throw new InvalidRequest("input '" + INPUT + "' has shape [N] or [N, 1], N its number of notes");
        List<Object> flat = new ArrayList<>(in.data().size());
        for (Object e : in.data()) {
            if (column && e instanceof List<?> row) {
                if (row.size() != 1)
                    throw new InvalidRequest("input '" + INPUT + "' data does not match its shape [N, 1]");
                flat.add(row.get(0));
            } else {
                flat.add(e);
            }
        }
        if (shape.get(0) != flat.size())
            throw new InvalidRequest("input '" + INPUT + "' has shape [N] or [N, 1], N its number of notes");
        return flat;
    }

    /** The requested outputs, each once; all of them when none is named (the protocol's default). */
    private static List<String> outputs(List<RequestOutput> requested) {
        if (requested == null || requested.isEmpty()) return OUTPUTS;
        Set<String> out = new LinkedHashSet<>();
        for (RequestOutput o : requested) {
            // A nameless output ({}) is unknown too: List.contains(null) would throw, a 500.
            if (o == null || o.name() == null || !OUTPUTS.contains(o.name()))
                throw new InvalidRequest(
                        "unknown output requested; outputs are '" + PROBABILITIES + "' and '" + LABELS + "'");
            parameters(o.parameters(), "output '" + o.name() + "' parameters");
            out.add(o.name());
        }
        return List.copyOf(out);
    }

    /** The protocol's {@code $parameters}: each value a string, a number or a boolean. */
    private static void parameters(Map<String, Object> parameters, String what) {
        if (parameters == null) return;
        for (Object v : parameters.values()) {
            if (!(v instanceof String || v instanceof Number || v instanceof Boolean))
                throw new InvalidRequest(what + " hold strings, numbers or booleans");
        }
    }
}
