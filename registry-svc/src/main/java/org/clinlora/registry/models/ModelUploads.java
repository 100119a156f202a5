package org.clinlora.registry.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.clinlora.model.io.Sha256;
import org.clinlora.platform.failure.Conflict;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.failure.Unprocessable;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.store.BlobStore;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.StoreLayout;
import org.jboss.logging.Logger;

/**
 * Pushing a base model, file by file, resumable: {@link #begin} declares every file with its sha256 and size; each
 * {@link #receive}d file is hashed as it is stored and refused unless it matches its declaration; {@link #complete}
 * checks that the files form a LLaMA or BERT checkpoint the model library can load ({@link ModelCheck}) and only then
 * writes {@code manifest.json}, the object that makes a model exist ({@link ModelStore}). Until then nothing is
 * visible; a push cut off half way continues where it stopped, since received files are remembered.
 */
@ApplicationScoped
public class ModelUploads {
    private static final Logger LOG = Logger.getLogger(ModelUploads.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern FILE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Pattern SHA = Pattern.compile("[0-9a-f]{64}");
    private static final List<String> PICKLE = List.of(".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt");

    /** A declared file: what the pusher says it will send. */
    public record DeclaredFile(String sha256, long size) {}

    /** The state of a push: what is still to send, or the stored model. */
    public record UploadState(String id, String status, List<String> missing, Map<String, DeclaredFile> files) {}

    private final BlobStore store;

    public ModelUploads(BlobStore store) {
        this.store = store;
    }

    private static String declaredKey(String id) {
        return StoreLayout.modelUpload(id) + "declared.json";
    }

    private static String receivedKey(String id, String file) {
        return StoreLayout.modelUpload(id) + "received/" + file;
    }

    /** Starts (or resumes) a push of {@code files}; a model that exists with the same files is reported as stored. */
    public UploadState begin(String id, Map<String, DeclaredFile> files) {
        StoreLayout.requireName(id);
        Map<String, DeclaredFile> declared = checkDeclaration(files);
        Optional<Map<String, DeclaredFile>> stored = manifestFiles(id);
        if (stored.isPresent()) {
            if (stored.get().equals(declared)) return new UploadState(id, "stored", List.of(), declared);
            throw new Conflict(
                    "model '" + id + "' already exists with other files; a model id names one set of weights for good");
        }
        byte[] body = json(declared);
        if (!store.putIfAbsent(declaredKey(id), body)) {
            Map<String, DeclaredFile> pending = declaredFiles(id).orElse(Map.of());
            if (!pending.equals(declared)) {
                throw new Conflict("another push of model '" + id
                        + "' with other files is in progress; finish it or delete it first");
            }
        }
        return state(id, declared);
    }

    /**
     * Stores one declared file from {@code body}, hashing it on the way: bytes whose size or sha256 differ from the
     * declaration (a truncated or tampered shard) are removed again and refused.
     */
    public UploadState receive(String id, String file, Path body) {
        Map<String, DeclaredFile> declared = declaredFiles(id)
                .orElseThrow(() -> new NotFound("no push of model '" + id
                        + "' is in progress; begin one with POST /v1/models/" + id + "/upload"));
        DeclaredFile want = declared.get(file);
        if (want == null)
            throw new InvalidRequest("file '" + file + "' is not among the declared files of model '" + id + "'");
        String sha;
        long size;
        try {
            sha = Sha256.of(body);
            size = Files.size(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (size != want.size() || !sha.equals(want.sha256())) {
            try {
                Files.deleteIfExists(body);
            } catch (IOException ignored) {
                // the server's spool file; it goes with the request anyway
            }
            throw new Unprocessable(
                    "file_mismatch",
                    "file '" + file + "' has " + size + " bytes with sha256 " + sha + " but the push declared "
                            + want.size() + " bytes with sha256 " + want.sha256() + "; it was not stored");
        }
        store.put(StoreLayout.model(id) + file, body, Map.of("sha256", sha));
        try {
            Files.deleteIfExists(body); // the server's spool file: the store holds the bytes now
        } catch (IOException e) {
            LOG.debugf("spool file %s not deleted: %s", body, e.getMessage());
        }
        store.put(receivedKey(id, file), sha.getBytes(StandardCharsets.UTF_8), Map.of());
        return state(id, declared);
    }

    /** Checks the received files as a loadable LLaMA and publishes the manifest; 422 with the reason otherwise. */
    public UploadState complete(String id) {
        Optional<Map<String, DeclaredFile>> stored = manifestFiles(id);
        if (stored.isPresent()) return new UploadState(id, "stored", List.of(), stored.get());
        Map<String, DeclaredFile> declared =
                declaredFiles(id).orElseThrow(() -> new NotFound("no push of model '" + id + "' is in progress"));
        UploadState s = state(id, declared);
        if (!s.missing().isEmpty())
            throw new Conflict("model '" + id + "' still lacks " + s.missing() + "; send them first");
        long t0 = System.nanoTime();
        new ModelCheck(store, id, declared).run();
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("id", id);
        ObjectNode files = manifest.putObject("files");
        declared.forEach((f, d) -> files.putObject(f).put("sha256", d.sha256()).put("size", d.size()));
        manifest.put("pushedAt", Instant.now().toString());
        try {
            store.put(
                    StoreLayout.model(id) + ModelStore.MANIFEST,
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest),
                    Map.of());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String k : store.list(StoreLayout.modelUpload(id))) store.delete(k);
        LOG.infof(
                "model %s stored: %d files, %d bytes, checked in %.1f s",
                id,
                declared.size(),
                declared.values().stream().mapToLong(DeclaredFile::size).sum(),
                (System.nanoTime() - t0) / 1e9);
        return new UploadState(id, "stored", List.of(), declared);
    }

    /** Drops an unfinished push and what it stored; a stored model is never deleted here. */
    public void abort(String id) {
        if (manifestFiles(id).isPresent())
            throw new Conflict("model '" + id + "' is stored; there is no push to abort");
        Map<String, DeclaredFile> declared =
                declaredFiles(id).orElseThrow(() -> new NotFound("no push of model '" + id + "' is in progress"));
        for (String f : declared.keySet()) store.delete(StoreLayout.model(id) + f);
        for (String k : store.list(StoreLayout.modelUpload(id))) store.delete(k);
    }

    /** Stored models (those with a manifest), in id order. */
    public List<String> ids() {
        List<String> out = new ArrayList<>();
        for (String prefix : store.listPrefixes("models/")) {
            String id = prefix.substring("models/".length(), prefix.length() - 1);
            if (store.size(StoreLayout.model(id) + ModelStore.MANIFEST).isPresent()) out.add(id);
        }
        return out;
    }

    /** The manifest of a stored model with its config.json. */
    public JsonNode show(String id) {
        byte[] manifest = store.getBytes(StoreLayout.model(id) + ModelStore.MANIFEST)
                .orElseThrow(() -> new NotFound("unknown model '" + id + "'"));
        try {
            ObjectNode out = (ObjectNode) JSON.readTree(manifest);
            out.put("manifestSha256", Sha256.of(manifest));
            store.getBytes(StoreLayout.model(id) + "config.json").ifPresent(c -> {
                try {
                    out.set("config", JSON.readTree(c));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private UploadState state(String id, Map<String, DeclaredFile> declared) {
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, DeclaredFile> e : declared.entrySet()) {
            Optional<byte[]> got = store.getBytes(receivedKey(id, e.getKey()));
            if (got.isEmpty()
                    || !new String(got.get(), StandardCharsets.UTF_8)
                            .equals(e.getValue().sha256())) missing.add(e.getKey());
        }
        return new UploadState(id, missing.isEmpty() ? "received" : "uploading", missing, declared);
    }

    private static Map<String, DeclaredFile> checkDeclaration(Map<String, DeclaredFile> files) {
        if (files == null || files.isEmpty())
            throw new InvalidRequest("declare the model's files: {\"files\": {name: {sha256, size}}}");
        Map<String, DeclaredFile> out = new TreeMap<>();
        for (Map.Entry<String, DeclaredFile> e : files.entrySet()) {
            String f = e.getKey();
            DeclaredFile d = e.getValue();
            if (!FILE.matcher(f).matches())
                throw new InvalidRequest(
                        "file name '" + f + "' must be a plain name of letters, digits, '.', '_' or '-'");
            if (PICKLE.stream().anyMatch(f::endsWith)) {
                throw new Unprocessable(
                        "pickle_weights",
                        "'" + f + "' is a pickle file, which is never accepted; push safetensors "
                                + "(save_pretrained(dir, safe_serialization=True) writes them)");
            }
            if (d == null || d.sha256() == null || !SHA.matcher(d.sha256()).matches() || d.size() < 0) {
                throw new InvalidRequest("file '" + f + "' needs a lowercase hex sha256 and a size >= 0");
            }
            out.put(f, d);
        }
        for (String required : List.of("config.json", "tokenizer.json")) {
            if (!out.containsKey(required))
                throw new Unprocessable("not_a_model", "a model push must include " + required);
        }
        if (!out.containsKey("model.safetensors") && !out.containsKey("model.safetensors.index.json")) {
            throw new Unprocessable(
                    "not_a_model",
                    "a model push must include model.safetensors or model.safetensors.index.json with its shards");
        }
        return out;
    }

    private Optional<Map<String, DeclaredFile>> manifestFiles(String id) {
        return store.getBytes(StoreLayout.model(id) + ModelStore.MANIFEST).map(ModelUploads::filesOf);
    }

    private Optional<Map<String, DeclaredFile>> declaredFiles(String id) {
        return store.getBytes(declaredKey(id)).map(ModelUploads::filesOf);
    }

    private static Map<String, DeclaredFile> filesOf(byte[] json) {
        Map<String, DeclaredFile> out = new TreeMap<>();
        try {
            AdapterCard.filesOf(JSON.readTree(json))
                    .forEach((f, e) -> out.put(f, new DeclaredFile(e.sha256(), e.size())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static byte[] json(Map<String, DeclaredFile> files) {
        ObjectNode n = JSON.createObjectNode();
        ObjectNode f = n.putObject("files");
        files.forEach((k, d) -> f.putObject(k).put("sha256", d.sha256()).put("size", d.size()));
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
