package org.clinlora.registry.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import jakarta.ws.rs.core.MultivaluedHashMap;
import jakarta.ws.rs.core.MultivaluedMap;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.clinlora.platform.failure.InvalidRequest;
import org.jboss.resteasy.reactive.multipart.FileUpload;
import org.junit.jupiter.api.Test;

class UploadsTest {
    @Test
    void filesByPartNameInUploadOrderWithoutTheCard() {
        Map<String, Path> files = Uploads.byName(List.of(
                upload("adapter_model.safetensors", "/tmp/b"),
                upload("card", "/tmp/card"),
                upload("adapter_config.json", "/tmp/a")));
        assertEquals(List.of("adapter_model.safetensors", "adapter_config.json"), List.copyOf(files.keySet()));
        assertEquals(Path.of("/tmp/a"), files.get("adapter_config.json"));
        assertEquals(Path.of("/tmp/b"), files.get("adapter_model.safetensors"));
    }

    @Test
    void aFileGivenTwiceIsRefused() {
        List<FileUpload> twice =
                List.of(upload("adapter_config.json", "/tmp/a"), upload("adapter_config.json", "/tmp/b"));
        InvalidRequest e = assertThrows(InvalidRequest.class, () -> Uploads.byName(twice));
        assertEquals("file 'adapter_config.json' given twice", e.getMessage());
    }

    private static FileUpload upload(String name, String file) {
        return new FileUpload() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Path filePath() {
                return Path.of(file);
            }

            @Override
            public String fileName() {
                return name;
            }

            @Override
            public long size() {
                return 0;
            }

            @Override
            public String contentType() {
                return "application/octet-stream";
            }

            @Override
            public String charSet() {
                return null;
            }

            @Override
            public MultivaluedMap<String, String> getHeaders() {
                return new MultivaluedHashMap<>();
            }
        };
    }
}
