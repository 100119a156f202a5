package org.clinlora.scorer.api;

import static org.clinlora.scorer.api.InferRequestReader.INPUT;
import static org.clinlora.scorer.api.InferRequestReader.LABELS;
import static org.clinlora.scorer.api.InferRequestReader.PROBABILITIES;

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
import java.util.concurrent.TimeUnit;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.platform.auth.Roles;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.limits.SubjectLimits;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.scorer.api.OpenInference.InferRequest;
import org.clinlora.scorer.api.OpenInference.InferResponse;
import org.clinlora.scorer.api.OpenInference.ModelMetadata;
import org.clinlora.scorer.api.OpenInference.ModelReady;
import org.clinlora.scorer.api.OpenInference.ResponseOutput;
import org.clinlora.scorer.api.OpenInference.ServerLive;
import org.clinlora.scorer.api.OpenInference.ServerMetadata;
import org.clinlora.scorer.api.OpenInference.ServerReady;
import org.clinlora.scorer.api.OpenInference.TensorMetadata;
import org.clinlora.scorer.scoring.AdapterCache;
import org.clinlora.scorer.scoring.BatchScheduler;
import org.clinlora.scorer.scoring.ScorerMetrics;
import org.clinlora.scorer.scoring.ScoringModel;
import org.clinlora.scorer.scoring.ScoringService;
import org.clinlora.scorer.scoring.ScoringTask;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The Open Inference Protocol (KServe V2) beside {@code /v1/score}, so KServe, Triton and MLServer clients can call the
 * scorer: a model is a task adapter (its name; the version path segment is a registry version, without it the
 * {@code production} alias), the one input is the notes as BYTES {@code [N]} or {@code [N, 1]}, the outputs are the
 * probabilities as FP32 {@code [N, labels]} in the card's label order and the label names as BYTES {@code [labels]}.
 * The same scoring path as /v1/score.
 *
 * <p>Statuses: a name or version that names no adapter version is 404 (the protocol treats both as opaque strings); a
 * request the protocol or the model refuses is 400 (413 beyond 64 notes); "model ready" is 200 with {@code ready: true}
 * once the stack can score — a model that cannot yet is the failure's status (503 while the base model loads), never a
 * 200 that says false, so a probe reads the status alone.
 */
@Path("/v2")
@Tag(name = "v2", description = "Open Inference Protocol (KServe V2)")
@Produces(MediaType.APPLICATION_JSON)
public class InferenceV2Resource {
    /** The server's name in {@code GET /v2}. */
    static final String SERVER = "clinlora-scorer";

    private final ScoringService engine;
    private final ScoringModel model;
    private final AdapterCache adapters;
    private final SmallRyeHealthReporter health;
    private final Timer latency;
    private final String version;
    private final SubjectLimits limits;

    public InferenceV2Resource(
            ScoringService engine,
            ScoringModel model,
            AdapterCache adapters,
            SmallRyeHealthReporter health,
            ScorerMetrics metrics,
            SubjectLimits limits,
            @ConfigProperty(name = "quarkus.application.version", defaultValue = "unknown") String version) {
        this.limits = limits;
        this.engine = engine;
        this.model = model;
        this.adapters = adapters;
        this.health = health;
        this.latency = metrics.requestLatency("v2");
        this.version = version;
    }

    @GET
    @PermitAll
    @Operation(summary = "Server metadata: name, version, extensions (none)")
    public ServerMetadata server() {
        return new ServerMetadata(SERVER, version, List.of());
    }

    @GET
    @Path("/health/live")
    @PermitAll
    @Operation(summary = "Server live: the process answers")
    public ServerLive live() {
        return new ServerLive(true);
    }

    @GET
    @Path("/health/ready")
    @PermitAll
    @Operation(summary = "Server ready: 200 when /q/health/ready is UP, 503 with ready false otherwise")
    @APIResponse(
            responseCode = "200",
            description = "Ready",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = ServerReady.class)))
    @APIResponse(
            responseCode = "503",
            description = "Not ready: {ready: false}",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = ServerReady.class)))
    public Response ready() {
        boolean up = !health.getReadiness().isDown();
        return Response.status(up ? 200 : 503).entity(new ServerReady(up)).build();
    }

    @GET
    @Path("/models/{name}")
    @RolesAllowed(Roles.SCORER_CLIENT)
    @Operation(summary = "Model metadata of the version the task's production alias points at")
    @APIResponse(responseCode = "200", description = "The model's metadata")
    @APIResponse(responseCode = "404", description = "No such model (task adapter), or no production alias")
    @APIResponse(responseCode = "502", description = "The registry answered with an error (reason registry_error)")
    public ModelMetadata model(@PathParam("name") String name) {
        return metadata(resolve(name, null));
    }

    @GET
    @Path("/models/{name}/versions/{version}")
    @RolesAllowed(Roles.SCORER_CLIENT)
    @Operation(summary = "Model metadata of one adapter version")
    @APIResponse(responseCode = "200", description = "The model's metadata")
    @APIResponse(responseCode = "404", description = "No such model or version")
    @APIResponse(responseCode = "502", description = "The registry answered with an error (reason registry_error)")
    public ModelMetadata model(@PathParam("name") String name, @PathParam("version") String version) {
        return metadata(resolve(name, version));
    }

    @GET
    @Path("/models/{name}/ready")
    @RolesAllowed(Roles.SCORER_CLIENT)
    @Operation(summary = "Model ready: 200 once the production version's stack is loaded (loading it if need be)")
    @APIResponse(responseCode = "200", description = "Ready: the stack is loaded")
    @APIResponse(responseCode = "404", description = "No such model (task adapter), or no production alias")
    @APIResponse(
            responseCode = "422",
            description = "The adapter cannot load on this scorer (reason wrong_base_model, …)")
    @APIResponse(responseCode = "502", description = "The registry answered with an error (reason registry_error)")
    @APIResponse(responseCode = "503", description = "Not ready: the base model or the adapter is still loading")
    public ModelReady modelReady(@PathParam("name") String name) {
        return ready(resolve(name, null));
    }

    @GET
    @Path("/models/{name}/versions/{version}/ready")
    @RolesAllowed(Roles.SCORER_CLIENT)
    @Operation(summary = "Model ready: 200 once this version's stack is loaded (loading it if need be)")
    @APIResponse(responseCode = "200", description = "Ready: the stack is loaded")
    @APIResponse(responseCode = "404", description = "No such model or version")
    @APIResponse(
            responseCode = "422",
            description = "The adapter cannot load on this scorer (reason wrong_base_model, …)")
    @APIResponse(responseCode = "502", description = "The registry answered with an error (reason registry_error)")
    @APIResponse(responseCode = "503", description = "Not ready: the base model or the adapter is still loading")
    public ModelReady modelReady(@PathParam("name") String name, @PathParam("version") String version) {
        return ready(resolve(name, version));
    }

    @POST
    @Path("/models/{name}/infer")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.SCORER_CLIENT)
    @Operation(
            summary = "Score notes with the production version: input 'note' BYTES [N] or [N, 1]; outputs "
                    + "'probabilities' FP32 [N, labels] and 'labels' BYTES [labels], or those requested")
    @APIResponse(responseCode = "200", description = "The outputs asked for (both when none is named)")
    @APIResponse(responseCode = "400", description = "Not an inference request of this model's inputs and outputs")
    @APIResponse(responseCode = "404", description = "No such model (task adapter), or no production alias")
    @APIResponse(responseCode = "413", description = "More than " + ScoreResource.MAX_NOTES + " notes")
    @APIResponse(
            responseCode = "422",
            description = "The adapter cannot score on this scorer (reason wrong_base_model, …)")
    @APIResponse(
            responseCode = "429",
            description =
                    "The scoring queue is full (reason queue_full), or the caller is over its rate (rate_limited)")
    @APIResponse(responseCode = "502", description = "The registry answered with an error (reason registry_error)")
    public InferResponse infer(@PathParam("name") String name, InferRequest req) {
        InferRequestReader.Read read = InferRequestReader.read(req);
        limits.admit(SubjectLimits.noteBytes(read.notes()));
        return infer(resolve(name, null), req.id(), read);
    }

    @POST
    @Path("/models/{name}/versions/{version}/infer")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.SCORER_CLIENT)
    @Operation(summary = "Score notes with one adapter version")
    @APIResponse(responseCode = "200", description = "The outputs asked for (both when none is named)")
    @APIResponse(responseCode = "400", description = "Not an inference request of this model's inputs and outputs")
    @APIResponse(responseCode = "404", description = "No such model or version")
    @APIResponse(responseCode = "413", description = "More than " + ScoreResource.MAX_NOTES + " notes")
    @APIResponse(
            responseCode = "422",
            description = "The adapter cannot score on this scorer (reason wrong_base_model, …)")
    @APIResponse(
            responseCode = "429",
            description =
                    "The scoring queue is full (reason queue_full), or the caller is over its rate (rate_limited)")
    @APIResponse(responseCode = "502", description = "The registry answered with an error (reason registry_error)")
    public InferResponse infer(@PathParam("name") String name, @PathParam("version") String version, InferRequest req) {
        InferRequestReader.Read read = InferRequestReader.read(req);
        limits.admit(SubjectLimits.noteBytes(read.notes()));
        return infer(resolve(name, version), req.id(), read);
    }

    /** The base model's architecture as the protocol's {@code <project>_<format>}: clinlora_llama-lora, … */
    static String platform(BaseModelConfig base) {
        return "clinlora_" + base.modelType() + "-lora";
    }

    private InferResponse infer(ScoringTask task, String id, InferRequestReader.Read read) {
        long t0 = System.nanoTime();
        ScoringService.Scored s = ScoreResource.await(engine.scoreNotes(task.ref(), read.notes()));
        latency.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        List<String> labels = s.task().labelNames();
        List<ResponseOutput> outputs = new ArrayList<>();
        for (String o : read.outputs())
            outputs.add(PROBABILITIES.equals(o) ? probabilities(s.rows(), labels) : labels(labels));
        return new InferResponse(s.task().name(), String.valueOf(s.task().version()), id, null, outputs);
    }

    private static ResponseOutput probabilities(List<BatchScheduler.Row> rows, List<String> labels) {
        List<Object> data = new ArrayList<>(rows.size() * labels.size());
        for (BatchScheduler.Row r : rows)
            for (String l : labels) data.add((float) (double) r.probabilities().get(l));
        return new ResponseOutput(PROBABILITIES, List.of((long) rows.size(), (long) labels.size()), "FP32", null, data);
    }

    private static ResponseOutput labels(List<String> labels) {
        return new ResponseOutput(LABELS, List.of((long) labels.size()), "BYTES", null, List.copyOf(labels));
    }

    /**
     * Ready means what the protocol's model-ready probe asks — downloaded and loaded, able to run inference now: the
     * base model loaded (a lazily bound scorer loads it here, as its first score would) and the stack's adapters
     * fetched, verified and resident, as an alias move preloads them.
     */
    private ModelReady ready(ScoringTask task) {
        model.model();
        adapters.acquire(task).close();
        return new ModelReady(task.name(), true);
    }

    /** A name or version that cannot name an adapter version is an unknown model: 404, without echoing it. */
    private ScoringTask resolve(String name, String version) {
        try {
            StoreLayout.requireName(name);
        } catch (IllegalArgumentException e) {
            throw new NotFound("no model has this name: model names are task adapter names, [a-z0-9][a-z0-9._-]*");
        }
        if (version != null && !version.matches("[1-9][0-9]{0,8}"))
            throw new NotFound(
                    "model '" + name + "' has no such version: versions are registry version numbers (1, 2, ...)");
        return engine.resolve(version == null ? name : name + "@" + version);
    }

    private ModelMetadata metadata(ScoringTask t) {
        long c = t.labelNames().size();
        return new ModelMetadata(
                t.name(),
                List.of(String.valueOf(t.version())),
                platform(model.config()),
                List.of(new TensorMetadata(INPUT, "BYTES", List.of(-1L))),
                List.of(
                        new TensorMetadata(PROBABILITIES, "FP32", List.of(-1L, c)),
                        new TensorMetadata(LABELS, "BYTES", List.of(c))));
    }
}
