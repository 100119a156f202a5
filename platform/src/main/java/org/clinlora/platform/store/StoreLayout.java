package org.clinlora.platform.store;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;
import org.clinlora.model.io.Sha256;

/**
 * Object keys, in one place (docs/ARCHITECTURE.md, "Data flow"; docs/REGISTRY.md). Versions of an adapter live under
 * {@code adapters/{name}/{n}/}; a version is visible exactly when its {@code card.json} exists (written last).
 */
public final class StoreLayout {
    /** Adapter and base-model names: lower case, digits, '.', '_' and '-'; no path tricks. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,99}");
    /** Aliases such as production or staging: [a-z0-9-], not all digits (so name@3 is always a version). */
    public static final Pattern ALIAS = Pattern.compile("(?=.*[a-z-])[a-z0-9-]{1,63}");

    public static final String CARD = "card.json";
    public static final String CLAIM = ".claim";
    public static final String DELETED = ".deleted";
    /** A published experiment's list of files with their sizes and sha256s, written after them. */
    public static final String EXPERIMENT_MANIFEST = "manifest.json";
    /** The folder of a model push in progress inside {@code models/{id}/}. */
    public static final String MODEL_UPLOAD = ".upload/";

    private StoreLayout() {}

    public static String requireName(String name) {
        if (name == null || !NAME.matcher(name).matches() || name.contains("..")) {
            throw new IllegalArgumentException("name must match [a-z0-9][a-z0-9._-]{0,99}, got '" + name + "'");
        }
        return name;
    }

    public static String requireAlias(String alias) {
        if (alias == null || !ALIAS.matcher(alias).matches()) {
            throw new IllegalArgumentException(
                    "alias must match [a-z0-9-]+ and not be all digits, got '" + alias + "'");
        }
        return alias;
    }

    public static String adapters() {
        return "adapters/";
    }

    public static String adapter(String name) {
        return "adapters/" + requireName(name) + "/";
    }

    public static String version(String name, int version) {
        return adapter(name) + version + "/";
    }

    public static String aliasLogs() {
        return "adapter-aliases/";
    }

    public static String aliases(String name) {
        return aliasLogs() + requireName(name) + "/";
    }

    /** An alias is an append-only log: one create-only entry per move, the highest sequence number is current. */
    public static String aliasLog(String name, String alias) {
        return aliases(name) + requireAlias(alias) + "/";
    }

    public static String aliasEntry(String name, String alias, int seq) {
        return aliasLog(name, alias) + String.format("%08d.json", seq);
    }

    public static String childMarkers() {
        return "adapter-children/";
    }

    /** Markers naming the children of a version, so deleting a parent is refused without scanning every card. */
    public static String children(String name, int version) {
        return childMarkers() + requireName(name) + "/" + version + "/";
    }

    /**
     * What a registry backup holds ({@code ./clinlora registry export}): alias logs, child markers, adapter versions
     * (claims and tombstones included, so a restored registry never hands out a number twice) and base models. Listed
     * in this order on purpose: whatever a listed object refers to was written before it, so it is listed after it and
     * the backup is consistent without stopping the registry.
     */
    public static List<String> registryPrefixes() {
        return List.of(aliasLogs(), childMarkers(), adapters(), models());
    }

    /** A key a registry backup holds: under {@link #registryPrefixes()}, and not a model push still in progress. */
    public static boolean inRegistryBackup(String key) {
        if (key == null || key.contains("\\") || key.endsWith("/")) return false;
        for (String segment : key.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) return false;
        }
        if (key.startsWith(models()) && key.contains("/" + MODEL_UPLOAD)) return false;
        return registryPrefixes().stream().anyMatch(key::startsWith);
    }

    public static String staging(String uploadId) {
        return "staging/" + uploadId + "/";
    }

    public static String models() {
        return "models/";
    }

    public static String model(String id) {
        return models() + requireName(id) + "/";
    }

    /** A model push in progress: what was declared and what arrived ({@code ModelUploads}), until it completes. */
    public static String modelUpload(String id) {
        return model(id) + MODEL_UPLOAD;
    }

    /** trainer-svc's files of one job: job.json, checkpoint.json + checkpoints/, the adapter staged for publication. */
    public static String trainingJob(String id) {
        return "training-jobs/" + requireName(id) + "/";
    }

    /** A job's per-step metrics (loss, learning rate, tokens/s, gradient norm, loss scale), kept after it finishes. */
    public static String trainingJobMetrics(String id) {
        return trainingJob(id) + "metrics.json";
    }

    public static String trainingJobs() {
        return "training-jobs/";
    }

    /** A dataset's shards and manifest.json (docs/DATASETS.md); complete exactly when the manifest exists. */
    public static String dataset(String id) {
        return "datasets/" + requireName(id) + "/";
    }

    /** tokenizer-svc's record of a dataset build (spec, status, progress), so a restarted service finds its work. */
    public static String datasetJob(String id) {
        return "dataset-jobs/" + requireName(id) + ".json";
    }

    public static String datasetJobs() {
        return "dataset-jobs/";
    }

    /** A file uploaded to POST /v1/datasets, kept so a build interrupted by a restart can run again. */
    public static String datasetUpload(String id) {
        return "dataset-uploads/" + requireName(id) + "/source";
    }

    /** Notes received on topic notes.raw for a named stream, one object per note id (create-only: no duplicates). */
    public static String noteStream(String stream) {
        return "note-streams/" + requireName(stream) + "/";
    }

    /** scorer-svc's marker that a scores.requests id was answered (create-only: a redelivery is not answered twice). */
    public static String scoreRequestAnswered(String requestId) {
        return "score-requests/" + Sha256.of(requestId.getBytes(StandardCharsets.UTF_8));
    }

    /** A note id hashed, so any id (slashes, spaces) makes a safe key and a redelivered note lands on the same one. */
    public static String streamNote(String stream, String noteId) {
        return noteStream(stream) + Sha256.of(noteId.getBytes(StandardCharsets.UTF_8)) + ".json";
    }

    /** Events a service must still announce on a topic, oldest first (see {@code platform/…/events/Outbox}). */
    public static String outbox(String service, String topic) {
        return "outbox/" + requireName(service) + "/" + requireName(topic) + "/";
    }

    /**
     * Published experiments ({@code ./clinlora experiment --publish}, docs/EXPERIMENT.md): one folder per experiment
     * name, holding its results.md, results.csv, config.json and figures/*.svg; listed exactly when its
     * {@link #EXPERIMENT_MANIFEST} (the files' sizes and sha256s, written last) exists.
     */
    public static String experiments() {
        return "experiments/";
    }

    public static String experiment(String name) {
        return experiments() + requireName(name) + "/";
    }

    /**
     * The leases of one kind of job ({@code training-jobs}, {@code dataset-jobs}): one folder per job id, one
     * create-only object per lease generation (see {@code platform/…/jobs/JobLeases}).
     */
    public static String jobLeases(String kind) {
        return "job-leases/" + requireName(kind) + "/";
    }
}
