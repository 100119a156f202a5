package org.clinlora.platform.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.text.ClinicalTokenizer;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalS3;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A base model in the real local S3Proxy: its tokenizer comes back verified against the manifest, or not at all. */
@ExtendWith(LocalS3.class)
class ModelStoreIT {
    @Test
    void aStoredModelsTokenizerIsFetchedVerifiedAndTamperingIsRefused() throws Exception {
        ObjectStore store = new ObjectStore(LocalInfra.s3Settings());
        ModelStore models = new ModelStore(store);
        Path dir = Files.createTempDirectory("model-store-it");
        TinyLlama.write(dir.resolve("m"), new TinyLlama.Spec(700, 32, 1, 4, 2, 96, 256, false, 2));
        String id = "tiny-" + UUID.randomUUID().toString().substring(0, 8);
        String manifestSha = models.upload(id, dir.resolve("m"));
        assertEquals(manifestSha, models.manifestSha256(id).orElseThrow());
        assertEquals(700, models.config(id).orElseThrow().vocabSize());

        Path tok = models.fetchVerified(id, "tokenizer.json", dir.resolve("cache"));
        assertArrayEquals(Files.readAllBytes(dir.resolve("m/tokenizer.json")), Files.readAllBytes(tok));
        try (ClinicalTokenizer t = ClinicalTokenizer.load(tok)) {
            assertTrue(t.encode("chest pain", true).length > 1);
        }
        assertEquals(
                tok, models.fetchVerified(id, "tokenizer.json", dir.resolve("cache")), "a verified copy is reused");

        byte[] tampered = Files.readAllBytes(dir.resolve("m/tokenizer.json"));
        tampered[10] ^= 1;
        store.put(StoreLayout.model(id) + "tokenizer.json", tampered, Map.of());
        var e = assertThrows(
                IllegalStateException.class,
                () -> models.fetchVerified(id, "tokenizer.json", dir.resolve("fresh-cache")));
        assertTrue(e.getMessage().contains("sha256"), e.getMessage());
        try (var files = Files.list(dir.resolve("fresh-cache").resolve(id))) {
            assertEquals(0, files.count(), "refused bytes are not kept");
        }
        assertThrows(
                IllegalArgumentException.class,
                () -> models.fetchVerified("no-such-model", "tokenizer.json", dir.resolve("c")));
    }
}
