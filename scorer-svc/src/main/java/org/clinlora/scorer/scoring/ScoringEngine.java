package org.clinlora.scorer.scoring;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.clinlora.core.api.ApiException;
import org.clinlora.core.io.AdapterCard;
import org.clinlora.core.io.PeftAdapterDir;
import org.clinlora.core.lora.ActiveAdapters;
import org.clinlora.core.lora.LoraAdapter;
import org.clinlora.core.model.Compute;
import org.clinlora.core.model.LlamaModel;
import org.clinlora.core.model.StepContext;
import org.clinlora.core.model.TokenBatch;
import org.clinlora.core.registry.RegistryClient;
import org.clinlora.core.store.ModelStore;
import org.clinlora.core.text.ClinicalTokenizer;
import org.clinlora.core.text.NoteNormalizer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * One frozen base model, many adapter stacks, one thread that runs the model.
 *
 * <p><b>Batching policy.</b> Requests wait in one bounded queue. The model thread takes the oldest request, then keeps
 * taking requests — for any task — until {@code max-batch-rows} rows are gathered or {@code max-wait} has passed since
 * it took the first; the rows are right-padded into one batch and each row applies its own adapter stack (masked LoRA
 * deltas, see ActiveAdapters) and its own score head. So the cost of a batch barely depends on how many distinct adapters
 * are in it. A request is never split; a full queue answers 503 with Retry-After.
 *
 * <p><b>Adapters.</b> A task resolves through registry-svc to {@code name@version} and its lineage; each version is
 * downloaded and sha256-verified (a mismatch is refused, never scored with) and read on loader threads, then installed
 * by the model thread between batches — loading never blocks scoring with other adapters. Versions stay cached, least
 * recently used evicted first beyond the memory budget, never while a request holds them. Aliases are resolved when a
 * request is admitted, so a request in flight finishes on the version it started with; an AliasMoved event preloads the
 * new version and then switches the alias (hot swap).
 */
@ApplicationScoped
public class ScoringEngine {
    private static final Logger LOG = Logger.getLogger(ScoringEngine.class);

    /** A resolved task: the adapter version that scores, and the stack from root ancestor to it. */
    public record Task(String name, int version, List<AdapterCard> lineage) {
        public AdapterCard card() {
            return lineage.get(lineage.size() - 1);
        }

        public String ref() {
            return name + "@" + version;
        }

        boolean multilabel() {
            return card().trainingConfig() != null && "multi_label_classification".equals(card().trainingConfig().get("problemType"));
        }
    }

    /** One scored row: probability per label, the tokens the model saw, whether the note was cut. */
    public record Row(Map<String, Double> probabilities, int tokens, boolean truncated) {}

    public record Scored(Task task, List<Row> rows) {}

    private record Pending(Task task, List<long[]> ids, List<Boolean> truncated, CompletableFuture<List<Row>> result) {}

    private static final class Entry {
        final AdapterCard card;
        final LoraAdapter adapter;
        final long bytes;
        final AtomicInteger inUse = new AtomicInteger();
        volatile long lastUsed = System.nanoTime();
        volatile boolean installed;

        Entry(AdapterCard card, LoraAdapter adapter, long bytes) {
            this.card = card;
            this.adapter = adapter;
            this.bytes = bytes;
        }
    }

    private final ModelStore models;
    private final RegistryClient registry;
    private final String baseModelId;
    private final Compute compute;
    private final Path cacheDir;
    private final int maxTokens, maxBatchRows, queueRows;
    private final long maxWaitNanos, budgetBytes, aliasTtlNanos;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger queuedRows = new AtomicInteger();
    private final Map<String, CompletableFuture<Entry>> cache = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Entry> toInstall = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Entry> toRemove = new ConcurrentLinkedQueue<>();
    private final Map<String, long[]> aliases = new ConcurrentHashMap<>();  // name@alias -> {version, expiresAt}
    private final Map<String, Task> versions = new ConcurrentHashMap<>();
    private final ExecutorService loaders = Executors.newFixedThreadPool(2, daemon("adapter-loader"));
    private final Object cacheLock = new Object();
    private volatile LlamaModel model;
    private volatile ClinicalTokenizer tokenizer;
    private volatile int bosId;
    private volatile Thread modelThread;

    public ScoringEngine(ModelStore models, RegistryClient registry,
                         @ConfigProperty(name = "clinlora.scorer.base-model") String baseModelId,
                         @ConfigProperty(name = "clinlora.scorer.device", defaultValue = "cpu") String device,
                         @ConfigProperty(name = "clinlora.scorer.precision", defaultValue = "fp32") String precision,
                         @ConfigProperty(name = "clinlora.scorer.cache-dir") Path cacheDir,
                         @ConfigProperty(name = "clinlora.scorer.max-tokens", defaultValue = "128") int maxTokens,
                         @ConfigProperty(name = "clinlora.scorer.max-batch-rows", defaultValue = "32") int maxBatchRows,
                         @ConfigProperty(name = "clinlora.scorer.max-wait", defaultValue = "PT0.005S") Duration maxWait,
                         @ConfigProperty(name = "clinlora.scorer.queue-rows", defaultValue = "512") int queueRows,
                         @ConfigProperty(name = "clinlora.scorer.adapter-cache-mb", defaultValue = "512") long cacheMb,
                         @ConfigProperty(name = "clinlora.scorer.alias-ttl", defaultValue = "PT30S") Duration aliasTtl) {
        this.models = models;
        this.registry = registry;
        this.baseModelId = baseModelId;
        this.compute = Compute.parse(device, precision);
        this.cacheDir = cacheDir;
        this.maxTokens = maxTokens;
        this.maxBatchRows = maxBatchRows;
        this.maxWaitNanos = maxWait.toNanos();
        this.queueRows = queueRows;
        this.budgetBytes = cacheMb << 20;
        this.aliasTtlNanos = aliasTtl.toNanos();
    }

    void onStop(@Observes ShutdownEvent e) {
        Thread t = modelThread;
        if (t != null) t.interrupt();
        loaders.shutdownNow();
    }

    // ---- admission ----------------------------------------------------------------------------------------------

    /** Scores notes (tokenized like the classification datasets: normalised, {@code <s>} first, cut to max-tokens). */
    public CompletableFuture<Scored> scoreNotes(String taskRef, List<String> notes) {
        ensureModel();
        List<long[]> ids = new ArrayList<>();
        List<Boolean> cut = new ArrayList<>();
        for (String note : notes) {
            long[] t = tokenizer.encode(NoteNormalizer.DEFAULT.normalize(note), false);
            int n = Math.min(t.length, maxTokens - 1);
            long[] row = new long[n + 1];
            row[0] = bosId;
            System.arraycopy(t, 0, row, 1, n);
            ids.add(row);
            cut.add(t.length > n);
        }
        return score(taskRef, ids, cut);
    }

    /** Scores pre-tokenised rows as given (ids checked against the vocabulary and the length limit). */
    public CompletableFuture<Scored> scoreIds(String taskRef, List<long[]> ids) {
        ensureModel();
        int vocab = model.config().vocabSize();
        for (int i = 0; i < ids.size(); i++) {
            long[] r = ids.get(i);
            if (r == null || r.length == 0) throw ApiException.invalid("inputIds[" + i + "] is empty");
            if (r.length > model.config().maxPositionEmbeddings()) throw ApiException.tooLarge("inputIds[" + i + "] is longer than the model's " + model.config().maxPositionEmbeddings() + " positions");
            for (long id : r) if (id < 0 || id >= vocab) throw ApiException.invalid("inputIds[" + i + "] holds " + id + ", outside the vocabulary [0, " + vocab + ")");
        }
        return score(taskRef, ids, ids.stream().map(x -> false).toList());
    }

    private CompletableFuture<Scored> score(String taskRef, List<long[]> ids, List<Boolean> cut) {
        Task task = resolve(taskRef);
        List<Entry> entries = acquire(task);
        if (queuedRows.addAndGet(ids.size()) > queueRows) {
            queuedRows.addAndGet(-ids.size());
            release(entries);
            throw new ApiException(503, "busy", "the scoring queue is full; retry later");
        }
        CompletableFuture<List<Row>> rows = new CompletableFuture<>();
        queue.add(new Pending(task, ids, cut, rows));
        ensureModelThread();
        return rows.whenComplete((r, e) -> release(entries)).thenApply(r -> new Scored(task, r));
    }

    /** {@code name}, {@code name@3} or {@code name@alias} (default production) → the version and its lineage. */
    public Task resolve(String taskRef) {
        String[] ref;
        try {
            ref = RegistryClient.parseRef(taskRef, "production");
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("task: " + e.getMessage());
        }
        String key = ref[0] + "@" + ref[1];
        boolean alias = !ref[1].matches("\\d+");
        String which = ref[1];
        if (alias) {
            long[] a = aliases.get(key);
            if (a != null && a[1] > System.nanoTime()) which = String.valueOf(a[0]);
        }
        Task known = versions.get(ref[0] + "@" + which);  // versions are immutable: resolved once
        if (known != null) return known;
        RegistryClient.Resolved r;
        try {
            r = registry.resolve(ref[0], which);
        } catch (RegistryClient.RegistryException e) {
            if (e.status() == 404) throw ApiException.notFound("unknown task adapter '" + taskRef + "': " + e.getMessage());
            throw new ApiException(502, "registry_error", "registry-svc could not resolve '" + taskRef + "'");
        } catch (IOException e) {
            throw new ApiException(503, "registry_unavailable", "registry-svc is unreachable; retry later");
        }
        if (alias && which.equals(ref[1])) aliases.put(key, new long[] {r.version(), System.nanoTime() + aliasTtlNanos});
        Task t = new Task(r.name(), r.version(), r.lineage());
        AdapterCard head = t.card();
        if (head.labelNames() == null || head.labelNames().isEmpty()) {
            throw ApiException.unprocessable("not_a_classifier", "adapter " + t.ref() + " has no score head (labelNames); it cannot score outcomes");
        }
        for (AdapterCard c : t.lineage()) {
            if (c.baseModel() == null || !baseModelId.equals(c.baseModel().id())) {
                throw ApiException.unprocessable("wrong_base_model", "adapter " + c.ref() + " was trained on another base model than this scorer's '" + baseModelId + "'");
            }
        }
        versions.put(t.ref(), t);
        return t;
    }

    /** AliasMoved: load the new version first, then switch the alias, so no request waits for the load. */
    public void aliasMoved(String name, String alias, int version) {
        try {
            Task t = resolve(name + "@" + version);
            release(acquire(t));  // loads and verifies, then lets the LRU keep it
            aliases.put(name + "@" + alias, new long[] {version, System.nanoTime() + aliasTtlNanos});
            LOG.infof("alias %s@%s now scores with version %d", name, alias, version);
        } catch (RuntimeException e) {
            aliases.remove(name + "@" + alias);  // resolve afresh on the next request
            LOG.warnf("could not preload %s@%d after an alias move: %s", name, version, e.getMessage());
        }
    }

    // ---- adapters -----------------------------------------------------------------------------------------------

    private List<Entry> acquire(Task task) {
        List<CompletableFuture<Entry>> loads = new ArrayList<>();
        for (AdapterCard c : task.lineage()) loads.add(cache.computeIfAbsent(c.ref(), k -> CompletableFuture.supplyAsync(() -> load(c), loaders)));
        List<Entry> out = new ArrayList<>();
        try {
            for (CompletableFuture<Entry> f : loads) out.add(f.get(5, TimeUnit.MINUTES));
        } catch (java.util.concurrent.ExecutionException e) {
            task.lineage().forEach(c -> cache.computeIfPresent(c.ref(), (k, f) -> f.isCompletedExceptionally() ? null : f));
            Throwable cause = e.getCause();
            if (cause instanceof ApiException api) throw api;
            if (cause instanceof IllegalStateException && cause.getCause() instanceof RegistryClient.RegistryException re
                    && (re.getMessage().contains("sha256") || re.getMessage().contains("integrity"))) {
                throw ApiException.integrity("adapter " + task.ref() + " failed verification in the registry; it is not scored with: " + re.getMessage());
            }
            if (cause instanceof IllegalStateException && String.valueOf(cause.getMessage()).contains("sha256")) {
                throw ApiException.integrity(cause.getMessage());
            }
            throw new ApiException(502, "adapter_unavailable", "adapter " + task.ref() + " could not be loaded: " + cause.getMessage());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new ApiException(503, "adapter_loading", "adapter " + task.ref() + " is still loading; retry later");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "interrupted", "interrupted");
        }
        synchronized (cacheLock) {
            for (Entry e : out) {
                e.inUse.incrementAndGet();
                e.lastUsed = System.nanoTime();
            }
        }
        return out;
    }

    private void release(List<Entry> entries) {
        for (Entry e : entries) e.inUse.decrementAndGet();
    }

    private Entry load(AdapterCard card) {
        ensureModel();
        try {
            Path dir = registry.download(card, cacheDir.resolve("adapters").resolve(card.name()).resolve(String.valueOf(card.version())));
            LoraAdapter a = PeftAdapterDir.read(model, card.ref(), dir, compute.dtype());
            long bytes = a.parameters().values().stream().mapToLong(p -> p.size() * p.getDataType().getNumOfBytes()).sum();
            Entry e = new Entry(card, a, bytes);
            toInstall.add(e);
            LOG.infof("adapter %s loaded (%d KiB)", card.ref(), bytes >> 10);
            return e;
        } catch (IOException | RegistryClient.RegistryException e) {
            throw new IllegalStateException("download of " + card.ref() + " failed: " + e.getMessage(), e);
        }
    }

    /** Beyond the budget, the least recently used idle versions leave (removed from the model by its thread). */
    private void evict() {
        synchronized (cacheLock) {
            long total = 0;
            List<Entry> idle = new ArrayList<>();
            for (CompletableFuture<Entry> f : cache.values()) {
                Entry e = f.getNow(null);
                if (e == null) continue;
                total += e.bytes;
                if (e.inUse.get() == 0 && e.installed) idle.add(e);
            }
            idle.sort((x, y) -> Long.compare(x.lastUsed, y.lastUsed));
            for (Entry e : idle) {
                if (total <= budgetBytes) break;
                cache.remove(e.card.ref());
                toRemove.add(e);
                total -= e.bytes;
            }
        }
    }

    /** Resident adapters: count and bytes (for metrics and the bench). */
    public long[] cacheStats() {
        long n = 0, bytes = 0;
        for (CompletableFuture<Entry> f : cache.values()) {
            Entry e = f.getNow(null);
            if (e != null) {
                n++;
                bytes += e.bytes;
            }
        }
        return new long[] {n, bytes};
    }

    // ---- the model thread ---------------------------------------------------------------------------------------

    private synchronized void ensureModel() {
        if (model != null) return;
        try {
            Path dir = models.fetchModelDir(baseModelId, cacheDir.resolve("models"));
            tokenizer = ClinicalTokenizer.load(dir);
            LlamaModel m = LlamaModel.load(dir, compute);
            bosId = m.config().bosTokenId() == null ? 1 : m.config().bosTokenId();
            model = m;
            LOG.infof("base model %s loaded on %s (%s)", baseModelId, compute.device(), compute.dtype());
        } catch (IllegalArgumentException e) {
            throw new ApiException(503, "base_model_unavailable", "the scorer's base model '" + baseModelId + "' is not in the object store");
        } catch (IOException e) {
            throw new ApiException(503, "base_model_unavailable", "the scorer's base model could not be loaded: " + e.getMessage());
        }
    }

    private synchronized void ensureModelThread() {
        if (modelThread != null && modelThread.isAlive()) return;
        modelThread = daemon("scoring-model").newThread(this::runModel);
        modelThread.start();
    }

    private void runModel() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
                install();
                if (first == null) {
                    evict();
                    continue;
                }
                List<Pending> batch = new ArrayList<>(List.of(first));
                int rows = first.ids().size();
                long deadline = System.nanoTime() + maxWaitNanos;
                while (rows < maxBatchRows) {
                    long left = deadline - System.nanoTime();
                    Pending next = left <= 0 ? queue.poll() : queue.poll(left, TimeUnit.NANOSECONDS);
                    if (next == null) break;
                    batch.add(next);
                    rows += next.ids().size();
                }
                install();
                run(batch);
                evict();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.errorf("scoring loop: %s", e.getClass().getName());
            }
        }
    }

    private void install() {
        for (Entry e; (e = toRemove.poll()) != null; ) {
            if (e.installed) model.removeAdapter(e.card.ref());
            else e.adapter.close();
            e.installed = false;
        }
        for (Entry e; (e = toInstall.poll()) != null; ) {
            model.addAdapter(e.adapter);
            e.installed = true;
        }
    }

    private void run(List<Pending> batch) {
        // Rows sorted by their adapter stack: every adapter's rows are then one contiguous range, so each LoRA delta is
        // computed on its own rows only (ActiveAdapters) and a batch mixing many tasks costs about what one task does.
        record Slot(Pending owner, int index, List<String> stack, long[] ids) {}
        List<Slot> slots = new ArrayList<>();
        for (Pending p : batch) {
            List<String> stack = p.task().lineage().stream().map(AdapterCard::ref).toList();
            for (int k = 0; k < p.ids().size(); k++) slots.add(new Slot(p, k, stack, p.ids().get(k)));
        }
        slots.sort(java.util.Comparator.comparing(sl -> String.join("\u0000", sl.stack())));
        int b = slots.size(), t = slots.stream().mapToInt(sl -> sl.ids().length).max().orElse(1);
        long[] ids = new long[b * t], mask = new long[b * t];
        for (int i = 0; i < b; i++) {
            long[] r = slots.get(i).ids();
            for (int j = 0; j < t; j++) {
                ids[i * t + j] = j < r.length ? r[j] : 0;
                mask[i * t + j] = j < r.length ? 1 : 0;
            }
        }
        try {
            TokenBatch tokens = new TokenBatch(b, t, ids, mask);
            Map<Pending, Row[]> results = new LinkedHashMap<>();
            try (StepContext ctx = model.newStep(false)) {
                NDArray pooled = model.pool(ctx, model.hiddenStates(ctx, tokens, ActiveAdapters.perRow(ctx, slots.stream().map(Slot::stack).toList())), tokens);
                Map<String, float[]> probsByHead = new LinkedHashMap<>();
                for (Pending p : batch) {
                    String head = p.task().ref();
                    if (probsByHead.containsKey(head)) continue;
                    NDArray score = model.adapter(head).score();
                    NDArray w = score.getDataType() == pooled.getDataType() ? score : score.toType(pooled.getDataType(), false);
                    NDArray logits = Linear.linear(pooled, w).singletonOrThrow().toType(DataType.FLOAT32, false);
                    NDArray probs = p.task().multilabel() ? Activation.sigmoid(logits) : logits.softmax(-1);
                    probsByHead.put(head, probs.toFloatArray());
                }
                for (int i = 0; i < b; i++) {
                    Slot sl = slots.get(i);
                    List<String> labels = sl.owner().task().card().labelNames();
                    float[] probs = probsByHead.get(sl.owner().task().ref());
                    Map<String, Double> m = new LinkedHashMap<>();
                    for (int j = 0; j < labels.size(); j++) m.put(labels.get(j), (double) probs[i * labels.size() + j]);
                    results.computeIfAbsent(sl.owner(), x -> new Row[x.ids().size()])[sl.index()] =
                            new Row(m, sl.ids().length, sl.owner().truncated().get(sl.index()));
                }
            }
            results.forEach((p, r) -> p.result().complete(List.of(r)));
        } catch (RuntimeException e) {
            LOG.errorf("scoring a batch of %d rows failed: %s", b, e.getClass().getName());
            for (Pending p : batch) p.result().completeExceptionally(e);
        } finally {
            for (Pending p : batch) queuedRows.addAndGet(-p.ids().size());
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread th = new Thread(r, name);
            th.setDaemon(true);
            return th;
        };
    }
}
