package org.clinlora.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.clinlora.model.io.PeftAdapterDir;

/**
 * sentencepiece's own C++ encoder on the notes {@code bench tokenize} timed, run by {@code python3} (with
 * python3-sentencepiece) from the script in this jar: the anchor printed beside the bench's own figures, and a check
 * that its ids are the bench's.
 */
final class SentencePieceAnchor {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SCRIPT = "/bench/sentencepiece_anchor.py";

    /** Median seconds of sentencepiece's batch encode and of one encode per note; notes whose ids agree. */
    record Result(int pieces, int notes, int agree, double batchSeconds, double oneSeconds) {}

    private SentencePieceAnchor() {}

    /** {@code ids}: the bench's ids of each note, without special tokens. */
    static Result run(String python, Path tokenizerModel, List<String> texts, List<long[]> ids, int rounds)
            throws IOException, InterruptedException {
        if (!Files.isRegularFile(tokenizerModel))
            throw new IllegalArgumentException("--sentencepiece " + tokenizerModel + ": no such file");
        Path dir = Files.createTempDirectory("clinlora-sp-anchor");
        try {
            Path script = dir.resolve("sentencepiece_anchor.py");
            try (InputStream in = SentencePieceAnchor.class.getResourceAsStream(SCRIPT)) {
                if (in == null) throw new IllegalStateException(SCRIPT + " is missing from the clinlora jar");
                Files.copy(in, script);
            }
            JSON.writeValue(dir.resolve("notes.json").toFile(), texts);
            JSON.writeValue(dir.resolve("ids.json").toFile(), ids);
            Process p = new ProcessBuilder(
                            python,
                            script.toString(),
                            tokenizerModel.toString(),
                            dir.resolve("notes.json").toString(),
                            dir.resolve("ids.json").toString(),
                            Integer.toString(rounds))
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.waitFor() != 0)
                throw new IllegalStateException("the sentencepiece anchor failed (" + python + "): " + out);
            JsonNode r = JSON.readTree(out.substring(out.lastIndexOf('\n') + 1));
            return new Result(
                    r.get("pieces").asInt(),
                    r.get("notes").asInt(),
                    r.get("agree").asInt(),
                    r.get("batch_s").asDouble(),
                    r.get("one_s").asDouble());
        } finally {
            PeftAdapterDir.deleteTree(dir);
        }
    }
}
