package org.clinlora.scorer.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.micrometer.core.instrument.Timer;
import io.smallrye.health.SmallRyeHealthReporter;
import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.clinlora.platform.auth.Roles;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.TooLarge;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.scorer.scoring.BatchScheduler;
import org.clinlora.scorer.scoring.RequestChecks;
import org.clinlora.scorer.scoring.ScorerMetrics;
import org.clinlora.scorer.scoring.ScoringService;
import org.clinlora.scorer.scoring.ScoringTask;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * KServe's V2 (Open Inference) protocol beside {@code /v1/score}, so KServe, Triton and MLServer clients can call the
 * scorer: a model is a task adapter (its name; the version path segment is a registry version, without it the
 * {@code production} alias), the one input is the notes as BYTES [N], the outputs are the probabilities as FP32 [N,
 * labels] in the card's label order and the label names as BYTES [labels]. The same scoring path as /v1/score.
 */
@Path("/v2")
@Tag(name = "v2", description = "KServe V2 inference protocol")
@Produces(MediaType.APPLICATION_JSON)
public class InferenceV2Resource {
    static final String INPUT = "note", PROBABILITIES = "probabilities", LABELS = "labels";

    private final ScoringService engine;
    private final SmallRyeHealthReporter health;
    private final Timer latency;

    public InferenceV2Resource(ScoringService engine, SmallRyeHealthReporter health, ScorerMetrics metrics) {
        this.engine = engine;
        this.health = health;
        this.latency = metrics.requestLatency("v2");
    }

    public record ServerMetadata(String name, String version, List<String> extensions) {}

    public record TensorMetadata(String name, String datatype, List<Long> shape) {}

    public record ModelMetadata(
            String name,
            List<String> versions,
            String platform,
            List<TensorMetadata> inputs,
            List<TensorMetadata> outputs) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Tensor(
            String name, List<Long> shape, String datatype, Map<String, Object> parameters, List<Object> data) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record InferRequest(
            String id, List<Tensor> inputs, List<Map<String, Object>> outputs, Map<String, Object> parameters) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record InferResponse(String model_name, String model_version, String id, List<Tensor> outputs) {}

    @GET
    @PermitAll
    @Operation(summary = "Server metadata")
    public ServerMetadata server() {
        return new ServerMetadata("clinlora-scorer", "0.1.0", List.of());
    }

    @GET
    @Path("/health/live")
    @PermitAll
    @Operation(summary = "Live: the process answers")
    public Map<String, Boolean> live() {
        return Map.of("live", true);
    }

    @GET
    @Path("/health/ready")
    @PermitAll
    @Operation(summary = "Ready: 200 when /q/health/ready is UP, 503 otherwise")
    public Response ready() {
        boolean up = !health.getReadiness().isDown();
        return Response.status(up ? 200 : 503).entity(Map.of("ready", up)).build();
    }

    @GET
    @Path("/models/{name}")
    @RolesAllowed(Roles.SCORER_CLIENT)
    @Operation(summary = "A task's model metadata (the version its production alias points at)")
    public ModelMetadata model(@PathParam("name") String name) {
        return metadata(resolve(name, null));
    }

    @GET
    @Path("/models/{name}/versions/{version}")
    @RolesAllowed(Roles.SCORER_CLIENT)
    @Operation(summary = "A task adapter version's model metadata")
    public ModelMetadata model(@PathParam("name") String name, @PathParam("version") String version) {
        return metadata(resolve(name, version));
    }

    @GET
    @Path("/models/{name}/ready")
    @RolesAllowed(Roles.SCORER_CLIENT)
    @Operation(summary = "200 when the task resolves to a version that can be scored")
    public Response modelReady(@PathParam("name") String name) {
        resolve(name, null);
        return Response.ok().build();
    }

    @POST
    @Path("/models/{name}/infer")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.SCORER_CLIENT)
    @Operation(
            summary =
                    "Score notes: input 'note' BYTES [N]; outputs 'probabilities' FP32 [N, labels] and 'labels' BYTES [labels]")
    public InferResponse infer(@PathParam("name") String name, InferRequest req) {
        return infer(resolve(name, null), req);
    }

    @POST
    @Path("/models/{name}/versions/{version}/infer")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.SCORER_CLIENT)
    @Operation(summary = "Score notes with one adapter version")
    public InferResponse infer(@PathParam("name") String name, @PathParam("version") String version, InferRequest req) {
        return infer(resolve(name, version), req);
    }

    private InferResponse infer(ScoringTask task, InferRequest req) {
        List<String> notes = notes(req);
        long t0 = System.nanoTime();
        ScoringService.Scored s = ScoreResource.await(engine.scoreNotes(task.ref(), notes));
        latency.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        List<String> labels = s.task().labelNames();
        List<Object> probs = new ArrayList<>(notes.size() * labels.size());
        for (BatchScheduler.Row r : s.rows())
            for (String l : labels) probs.add((float) (double) r.probabilities().get(l));
        return new InferResponse(
                s.task().name(),
                String.valueOf(s.task().version()),
                req.id(),
                List.of(
                        new Tensor(
                                PROBABILITIES, List.of((long) notes.size(), (long) labels.size()), "FP32", null, probs),
                        new Tensor(LABELS, List.of((long) labels.size()), "BYTES", null, List.copyOf(labels))));
    }

    /** The notes of the request's one BYTES input, checked as /v1/score checks them (never echoed in an error). */
    static List<String> notes(InferRequest req) {
        if (req == null || req.inputs() == null || req.inputs().size() != 1)
            throw new InvalidRequest("exactly one input, '" + INPUT + "', is expected");
        Tensor in = req.inputs().get(0);
        if (!INPUT.equals(in.name())) throw new InvalidRequest("the input is named '" + INPUT + "'");
        if (!"BYTES".equals(in.datatype())) throw new InvalidRequest("input '" + INPUT + "' has datatype BYTES");
        if (in.data() == null || in.data().isEmpty()) throw new InvalidRequest("input '" + INPUT + "' has no data");
        if (in.shape() == null
                || in.shape().size() != 1
                || in.shape().get(0) != in.data().size()) {
            throw new InvalidRequest("input '" + INPUT + "' has shape [N] with N its number of notes");
        }
        if (in.data().size() > ScoreResource.MAX_NOTES)
            throw new TooLarge("at most " + ScoreResource.MAX_NOTES + " notes per request, got "
                    + in.data().size());
        List<String> notes = new ArrayList<>();
        for (int i = 0; i < in.data().size(); i++) {
            if (!(in.data().get(i) instanceof String note))
                throw new InvalidRequest("data[" + i + "] of input '" + INPUT + "' is not a string");
            RequestChecks.note("data[" + i + "]", note);
            notes.add(note);
        }
        if (req.outputs() != null) {
            for (Map<String, Object> o : req.outputs()) {
                Object n = o.get("name");
                if (!PROBABILITIES.equals(n) && !LABELS.equals(n))
                    throw new InvalidRequest(
                            "unknown output requested; outputs are '" + PROBABILITIES + "' and '" + LABELS + "'");
            }
        }
        return notes;
    }

    private ScoringTask resolve(String name, String version) {
        try {
            StoreLayout.requireName(name);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequest("model name: " + e.getMessage());
        }
        if (version != null && !version.matches("[1-9][0-9]{0,8}"))
            throw new InvalidRequest("version is a positive registry version number");
        return engine.resolve(version == null ? name : name + "@" + version);
    }

    private static ModelMetadata metadata(ScoringTask t) {
        long c = t.labelNames().size();
        return new ModelMetadata(
                t.name(),
                List.of(String.valueOf(t.version())),
                "clinlora-llama-lora",
                List.of(new TensorMetadata(INPUT, "BYTES", List.of(-1L))),
                List.of(
                        new TensorMetadata(PROBABILITIES, "FP32", List.of(-1L, c)),
                        new TensorMetadata(LABELS, "BYTES", List.of(c))));
    }
}
