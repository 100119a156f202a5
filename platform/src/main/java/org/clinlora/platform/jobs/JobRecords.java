package org.clinlora.platform.jobs;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;
import org.clinlora.platform.store.BlobStore;

/**
 * The durable half of a job queue, shared by dataset builds and training jobs: one JSON record per job in the store,
 * created create-only <em>before</em> the caller hears "accepted" (so an accepted job is never lost, and two requests
 * for the same id make one job), read back and updated as the job moves on, and listed at start-up so that every job
 * that did not finish is run again ({@link JobWorker#recover}).
 *
 * @param <J> the record type (Jackson-serialisable)
 */
public final class JobRecords<J> {
    private static final ObjectMapper JSON =
            new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final BlobStore store;
    private final String prefix;
    private final String suffix;
    private final Class<J> type;
    private final Function<J, String> idOf;
    private final Predicate<J> finished;
    /**
     * Jobs seen finished: a finished job never runs again, so the periodic look-up for unfinished jobs reads only the
     * records it has not seen finished (the listing stays; the reads do not grow with the history).
     */
    private final Set<String> knownFinished = ConcurrentHashMap.newKeySet();

    /**
     * Records live at {@code prefix + id + suffix}; a suffix that starts with {@code /} gives each job a folder of its
     * own (for checkpoints beside the record).
     */
    public JobRecords(
            BlobStore store,
            String prefix,
            String suffix,
            Class<J> type,
            Function<J, String> idOf,
            Predicate<J> finished) {
        this.store = store;
        this.prefix = prefix;
        this.suffix = suffix;
        this.type = type;
        this.idOf = idOf;
        this.finished = finished;
    }

    /** Creates the record unless one exists; false means the id is taken (compare the existing record's spec). */
    public boolean create(J job) {
        return store.putIfAbsent(key(idOf.apply(job)), json(job));
    }

    public Optional<J> read(String id) {
        return store.getBytes(key(id)).map(b -> {
            try {
                return seen(JSON.readValue(b, type));
            } catch (IOException e) {
                throw new IllegalStateException("job record " + id + " is not readable");
            }
        });
    }

    public void save(J job) {
        store.put(key(idOf.apply(job)), json(job), Map.of());
        seen(job);
    }

    private J seen(J job) {
        if (finished.test(job)) knownFinished.add(idOf.apply(job));
        return job;
    }

    /**
     * The job ids the store holds. In the folder layout that is every job folder (a record is written before anything
     * else goes there); callers {@link #read} each id and skip one whose record is gone, so the listing reads no
     * record.
     */
    public List<String> ids() {
        List<String> out = new ArrayList<>();
        if (suffix.startsWith("/")) {
            for (String p : store.listPrefixes(prefix)) out.add(p.substring(prefix.length(), p.length() - 1));
        } else {
            for (String k : store.list(prefix)) {
                String rest = k.substring(prefix.length());
                if (rest.endsWith(suffix) && !rest.contains("/"))
                    out.add(rest.substring(0, rest.length() - suffix.length()));
            }
        }
        return out;
    }

    /** The ids of jobs that are not finished (queued, or running when a process stopped). */
    public List<String> unfinished() {
        List<String> out = new ArrayList<>();
        for (String id : ids()) {
            if (!knownFinished.contains(id))
                read(id).filter(j -> !finished.test(j)).ifPresent(j -> out.add(id));
        }
        return out;
    }

    private String key(String id) {
        return prefix + id + suffix;
    }

    private static byte[] json(Object job) {
        try {
            return JSON.writeValueAsBytes(job);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
