package org.clinlora.scorer.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.micrometer.core.instrument.Timer;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.clinlora.platform.auth.Roles;
import org.clinlora.platform.failure.Failure;
import org.clinlora.platform.failure.InternalFailure;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.TooLarge;
import org.clinlora.platform.failure.Unavailable;
import org.clinlora.platform.limits.SubjectLimits;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.scorer.scoring.BatchScheduler;
import org.clinlora.scorer.scoring.Evaluator;
import org.clinlora.scorer.scoring.RequestChecks;
import org.clinlora.scorer.scoring.ScorerMetrics;
import org.clinlora.scorer.scoring.ScoringService;
import org.clinlora.scorer.scoring.ScoringTask;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/v1")
@Tag(
        name = "score",
        description = "Clinical outcome probabilities from a task adapter stacked over the shared base model")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.SCORER_CLIENT)
public class ScoreResource {
    static final int MAX_NOTES = 64;

    private final ScoringService engine;
    private final Evaluator evaluator;
    private final Timer latency;
    private final SubjectLimits limits;

    public ScoreResource(ScoringService engine, Evaluator evaluator, ScorerMetrics metrics, SubjectLimits limits) {
        this.engine = engine;
        this.evaluator = evaluator;
        this.limits = limits;
        this.latency = metrics.requestLatency("rest");
    }

    /** The REST body of POST /v1/score (the Kafka message is the platform's {@code ScoreRequest} event). */
    public record ScoreApiRequest(String task, List<String> notes, List<long[]> inputIds) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record NoteScore(Map<String, Double> probabilities, int tokens, boolean truncated) {}

    /** The adapter version that scored, with its stack and base model. */
    public record AdapterUsed(
            String name, int version, String ref, String task, List<String> lineage, String baseModel) {}

    public record ScoreApiResponse(AdapterUsed adapter, List<NoteScore> results) {}

    public record EvaluateRequest(String datasetId, String task, String split) {}

    @POST
    @Path("/score")
    @Operation(
            summary = "Score notes with a task adapter",
            description =
                    "Body: {task: 'name[@version|@alias]' (default alias production), notes: [text, ...] (1-"
                            + MAX_NOTES + ") "
                            + "or inputIds: [[ids], ...]}. Per note: probability per label (softmax for single-label tasks, sigmoid for "
                            + "multilabel), the tokens the model saw and whether the note was cut; with the adapter version and lineage used.")
    @APIResponse(responseCode = "200", description = "A probability per label for each note, with the adapter used")
    @APIResponse(responseCode = "404", description = "No such adapter, version or alias")
    @APIResponse(responseCode = "413", description = "More than " + MAX_NOTES + " notes")
    @APIResponse(
            responseCode = "422",
            description = "The adapter cannot score on this scorer (reason wrong_base_model, not_a_classifier, …)")
    @APIResponse(
            responseCode = "429",
            description =
                    "The scoring queue is full (reason queue_full), or the caller is over its rate (rate_limited)")
    @APIResponse(responseCode = "502", description = "The registry answered with an error (reason registry_error)")
    @APIResponse(
            responseCode = "503",
            description = "The base model is loading or unavailable, the registry is down, or scoring took too long")
    public ScoreApiResponse score(ScoreApiRequest req) {
        limits.admit(req == null ? 0 : SubjectLimits.noteBytes(req.notes()));
        if (req == null || req.task() == null || req.task().isBlank()) throw new InvalidRequest("task is required");
        boolean notes = req.notes() != null, ids = req.inputIds() != null;
        if (notes == ids) throw new InvalidRequest("give notes or inputIds, not both or neither");
        int n = notes ? req.notes().size() : req.inputIds().size();
        if (n == 0) throw new InvalidRequest("at least one note is required");
        if (n > MAX_NOTES) throw new TooLarge("at most " + MAX_NOTES + " notes per request, got " + n);
        // The whole request is checked before anything is resolved or loaded: a malformed one is a 400 even while the
        // base model is unavailable (503 is only for valid requests that cannot be served now).
        if (notes) {
            for (int i = 0; i < n; i++)
                RequestChecks.note("notes[" + i + "]", req.notes().get(i));
        } else {
            for (int i = 0; i < n; i++)
                RequestChecks.ids("inputIds[" + i + "]", req.inputIds().get(i));
        }
        long t0 = System.nanoTime();
        ScoringService.Scored s =
                await(notes ? engine.scoreNotes(req.task(), req.notes()) : engine.scoreIds(req.task(), req.inputIds()));
        latency.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        List<NoteScore> out = new ArrayList<>();
        for (BatchScheduler.Row r : s.rows()) out.add(new NoteScore(r.probabilities(), r.tokens(), r.truncated()));
        return new ScoreApiResponse(used(s.task()), out);
    }

    @POST
    @Path("/evaluate")
    @Operation(
            summary = "Evaluate a task adapter on a labelled dataset",
            description =
                    "Body: {datasetId (a classification dataset from tokenizer-svc), task, split (test; or validation, train, all)}. "
                            + "The trainer's metrics: macro AUROC skipping single-class labels, micro AUROC, macro AUPRC, F1, accuracy.")
    @APIResponse(responseCode = "200", description = "The metrics on the split")
    @APIResponse(responseCode = "404", description = "No such dataset, adapter, version or alias")
    @APIResponse(
            responseCode = "422",
            description = "The dataset or adapter cannot be evaluated here (reason label_mismatch, …)")
    @APIResponse(
            responseCode = "429",
            description =
                    "The scoring queue is full (reason queue_full), or the caller is over its rate (rate_limited)")
    @APIResponse(responseCode = "502", description = "The registry answered with an error (reason registry_error)")
    @APIResponse(
            responseCode = "503",
            description = "The base model is loading or unavailable, the registry is down, or scoring took too long")
    public Evaluator.Report evaluate(EvaluateRequest req) {
        limits.admit(0);
        if (req == null || req.datasetId() == null || req.task() == null)
            throw new InvalidRequest("datasetId and task are required");
        return evaluator.evaluate(req.datasetId(), req.task(), req.split() == null ? "test" : req.split());
    }

    static AdapterUsed used(ScoringTask t) {
        AdapterCard c = t.card();
        return new AdapterUsed(
                t.name(),
                t.version(),
                t.ref(),
                c.task(),
                t.lineage().stream().map(AdapterCard::ref).toList(),
                c.baseModel() == null ? null : c.baseModel().id());
    }

    static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get(2, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Failure failure) throw failure;
            throw new InternalFailure(
                    "scoring_failed",
                    "scoring failed (" + e.getCause().getClass().getSimpleName() + ")");
        } catch (TimeoutException e) {
            throw new Unavailable("timeout", "scoring took too long; retry later");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted", "interrupted");
        }
    }
}
