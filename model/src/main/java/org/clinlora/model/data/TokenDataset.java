package org.clinlora.model.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.clinlora.model.io.SafeTensors;
import org.clinlora.model.io.SafeTensorsReader;
import org.clinlora.model.io.Sha256;
import org.clinlora.model.task.ProblemType;
import org.clinlora.model.task.TaskKind;

/**
 * A token dataset from the object store, read the way a trainer or evaluator needs it: the manifest, the shards of a
 * split, and each shard's rows — downloaded once into a local cache and verified against the manifest's sha256 before
 * any byte is used (a mismatch is refused, never trained on).
 */
public final class TokenDataset {
    private static final ObjectMapper JSON = new ObjectMapper();

    public record Shard(String file, String split, int rows, String sha256) {}

    /** The rows of one shard: ids [rows, seqLen] row-major, lengths, and labels (class indices or multi-hot). */
    /**
     * {@code ids}: the source rows' ids (classification shards), else null; a class of -1 is a row whose class the
     * training split never had.
     */
    public record Rows(
            int rows, int seqLen, int[] inputIds, int[] lengths, long[] classes, float[] multiHot, List<String> ids) {}

    /** Opens one of the dataset's files by name (a shard or the manifest): a folder, a bucket prefix, … */
    public interface FileOpener {
        InputStream open(String file) throws IOException;
    }

    private final FileOpener files;
    private final String id;
    private final JsonNode manifest;
    private final String manifestSha256;
    private final Path cacheDir;

    private TokenDataset(FileOpener files, String id, byte[] manifest, Path cacheDir) throws IOException {
        this.files = files;
        this.id = id;
        this.manifest = JSON.readTree(manifest);
        this.manifestSha256 = Sha256.of(manifest);
        this.cacheDir = cacheDir;
    }

    /**
     * A dataset whose manifest bytes were read from wherever it lives; {@code files} opens its shards by name. The
     * object-store flavour is the platform's {@code StoredDatasets}.
     */
    public static TokenDataset of(String datasetId, byte[] manifest, FileOpener files, Path cacheDir)
            throws IOException {
        return new TokenDataset(files, datasetId, manifest, cacheDir);
    }

    /** A dataset directory written by {@link DatasetSink#directory} (local runs, tests); shards are still verified. */
    public static TokenDataset openLocal(Path dir, Path cacheDir) throws IOException {
        Path manifest = dir.resolve(DatasetBuilder.MANIFEST);
        if (!Files.isRegularFile(manifest))
            throw new IllegalArgumentException(dir + ": no " + DatasetBuilder.MANIFEST + " (not a complete dataset)");
        byte[] m = Files.readAllBytes(manifest);
        String id = JSON.readTree(m).path("datasetId").asText();
        return new TokenDataset(f -> Files.newInputStream(dir.resolve(f)), id, m, cacheDir);
    }

    public String id() {
        return id;
    }

    public String manifestSha256() {
        return manifestSha256;
    }

    public JsonNode manifest() {
        return manifest;
    }

    public TaskKind kind() {
        return TaskKind.parse(manifest.path("kind").asText());
    }

    public boolean causalLm() {
        return kind() == TaskKind.CAUSAL_LM;
    }

    /** How the notes became rows (classification datasets); null for causal-LM datasets. */
    public NoteEncoding encoding() {
        return causalLm() ? null : NoteEncoding.fromManifest(manifest);
    }

    public ProblemType problemType() {
        return ProblemType.of(multilabel());
    }

    public int seqLen() {
        return manifest.path("seqLen").asInt();
    }

    public String tokenizerSha256() {
        return manifest.path("tokenizerSha256").asText();
    }

    public List<String> labelNames() {
        List<String> out = new ArrayList<>();
        manifest.path("labelNames").forEach(n -> out.add(n.asText()));
        return out;
    }

    public boolean multilabel() {
        return manifest.path("multilabel").asBoolean(false);
    }

    public List<Shard> shards(String split) {
        List<Shard> out = new ArrayList<>();
        for (JsonNode s : manifest.path("shards")) {
            if (s.path("split").asText().equals(split))
                out.add(new Shard(
                        s.path("file").asText(),
                        split,
                        s.path("rows").asInt(),
                        s.path("sha256").asText()));
        }
        return out;
    }

    public long rows(String split) {
        return shards(split).stream().mapToLong(Shard::rows).sum();
    }

    /** The shard's rows, from the verified local copy. */
    public Rows load(Shard shard) throws IOException {
        Path file = fetch(shard);
        try (SafeTensorsReader r = SafeTensors.open(file)) {
            long[] shape = r.entry("input_ids").shape();
            if (shape.length != 2 || shape[0] != shard.rows() || shape[1] != seqLen()) {
                throw new IllegalArgumentException(
                        id + "/" + shard.file() + ": input_ids shape does not match the manifest");
            }
            int n = shard.rows();
            int[] ids = ints(r.raw("input_ids"), n * seqLen());
            int[] lengths = ints(r.raw("lengths"), n);
            long[] classes = null;
            float[] hot = null;
            if (r.contains("labels")) {
                if (multilabel()) hot = r.floats("labels");
                else classes = r.longs("labels");
            }
            String rowIds = r.metadata().get(DatasetBuilder.ROW_IDS);
            List<String> idList = rowIds == null ? null : List.of(JSON.readValue(rowIds, String[].class));
            if (idList != null && idList.size() != n)
                throw new IllegalArgumentException(id + "/" + shard.file() + ": row_ids do not match its rows");
            return new Rows(n, seqLen(), ids, lengths, classes, hot, idList);
        }
    }

    private static int[] ints(ByteBuffer b, int n) {
        int[] out = new int[n];
        b.asIntBuffer().get(out);
        return out;
    }

    /** The dataset id as a folder name: ids are names ([A-Za-z0-9._-]), anything else is refused. */
    private static String cacheFolder(String id) {
        if (!id.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}") || id.contains(".."))
            throw new IllegalArgumentException("dataset id '" + id + "' is not a valid name");
        return id;
    }

    private Path fetch(Shard shard) throws IOException {
        Path dir = Files.createDirectories(cacheDir.resolve(cacheFolder(id)));
        Path cached = dir.resolve(shard.sha256() + ".safetensors");
        if (Files.isRegularFile(cached)) return cached; // only ever renamed into place after verification
        Path tmp = Files.createTempFile(dir, ".shard", ".part");
        try {
            String got;
            try (var in = files.open(shard.file());
                    var out = Files.newOutputStream(tmp)) {
                got = Sha256.copy(in, out);
            }
            if (!got.equals(shard.sha256())) {
                throw new IllegalStateException(
                        "datasets/" + id + "/" + shard.file() + " does not match the manifest's sha256; refusing it");
            }
            Files.move(tmp, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return cached;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
