package org.clinlora.scorer.scoring;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.clinlora.model.base.BaseModelConfig;
import org.clinlora.model.data.NoteEncoding;
import org.clinlora.model.text.ClinicalTokenizer;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.TooLarge;
import org.jboss.logging.Logger;

/**
 * What the HTTP and Kafka adapters call: a task reference and notes (or token ids) in, probabilities out. It resolves
 * the task ({@link TaskResolver}), prepares each note as the adapter's training rows were prepared
 * ({@link ScoringModel}), holds the adapter stack ({@link AdapterCache}) and queues the rows for the model thread
 * ({@link BatchScheduler}).
 */
@ApplicationScoped
public class ScoringService {
    private static final Logger LOG = Logger.getLogger(ScoringService.class);

    public record Scored(ScoringTask task, List<BatchScheduler.Row> rows) {}

    private final TaskResolver tasks;
    private final ScoringModel model;
    private final AdapterCache adapters;
    private final BatchScheduler scheduler;

    public ScoringService(TaskResolver tasks, ScoringModel model, AdapterCache adapters, BatchScheduler scheduler) {
        this.tasks = tasks;
        this.model = model;
        this.adapters = adapters;
        this.scheduler = scheduler;
    }

    public ScoringTask resolve(String taskRef) {
        return tasks.resolve(taskRef);
    }

    /** Notes, each normalised, tokenized and cut exactly as the task adapter's training rows were. */
    public CompletableFuture<Scored> scoreNotes(String taskRef, List<String> notes) {
        ScoringTask task = tasks.resolve(taskRef);
        NoteEncoding encoding = model.encodingFor(task);
        ClinicalTokenizer tokenizer = model.tokenizer();
        List<long[]> ids = new ArrayList<>();
        List<Boolean> cut = new ArrayList<>();
        for (String note : notes) {
            NoteEncoding.Encoded e = encoding.encode(tokenizer, note);
            ids.add(e.ids());
            cut.add(e.truncated());
        }
        return score(task, ids, cut);
    }

    /** Pre-tokenised rows as given (ids checked against the vocabulary and the positions). */
    public CompletableFuture<Scored> scoreIds(String taskRef, List<long[]> ids) {
        ScoringTask task = tasks.resolve(taskRef);
        BaseModelConfig c = model.config();
        for (int i = 0; i < ids.size(); i++) {
            long[] r = ids.get(i);
            if (r == null || r.length == 0) throw new InvalidRequest("inputIds[" + i + "] is empty");
            if (r.length > c.maxPositionEmbeddings())
                throw new TooLarge(
                        "inputIds[" + i + "] is longer than the model's " + c.maxPositionEmbeddings() + " positions");
            for (long id : r)
                if (id < 0 || id >= c.vocabSize())
                    throw new InvalidRequest(
                            "inputIds[" + i + "] holds " + id + ", outside the vocabulary [0, " + c.vocabSize() + ")");
        }
        return score(task, ids, ids.stream().map(x -> false).toList());
    }

    /** AliasMoved: load the new version first, then switch the alias, so no request waits for the load. */
    public void aliasMoved(String name, String alias, int version) {
        try {
            ScoringTask t = tasks.resolve(name + "@" + version);
            adapters.acquire(t).close(); // loads and verifies, then lets the LRU keep it
            tasks.pin(name, alias, version);
            LOG.infof("alias %s@%s now scores with version %d", name, alias, version);
        } catch (RuntimeException e) {
            tasks.unpin(name, alias); // resolve afresh on the next request
            LOG.warnf("could not preload %s@%d after an alias move: %s", name, version, e.getMessage());
        }
    }

    /** AdapterDeleted: the version is not served again; requests already holding it finish. */
    public void adapterDeleted(String name, int version) {
        tasks.forget(name, version);
        adapters.forget(name + "@" + version);
    }

    private CompletableFuture<Scored> score(ScoringTask task, List<long[]> ids, List<Boolean> cut) {
        model.model(); // the base must be there before adapters are read against it
        AdapterCache.Lease lease = adapters.acquire(task);
        try {
            return scheduler
                    .submit(task, ids, cut)
                    .whenComplete((r, e) -> lease.close())
                    .thenApply(r -> new Scored(task, r));
        } catch (RuntimeException e) {
            lease.close();
            throw e;
        }
    }
}
