package org.clinlora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * libtorch loads from the pytorch-native-cpu jar on the class path with {@code ai.djl.offline=true} and a fresh, empty
 * cache directory: nothing is downloaded at run time. Runs in a child JVM so no engine is loaded yet.
 */
class OfflineEngineTest {
    @TempDir
    Path cache;

    @Test
    void pytorchEngineLoadsOfflineIntoAnEmptyCache() throws Exception {
        try (Stream<Path> s = Files.list(cache)) {
            assertEquals(0, s.count(), "the cache starts empty");
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(List.of(
                        java,
                        "-Dai.djl.offline=true",
                        "-cp",
                        System.getProperty("java.class.path"),
                        OfflineEngineProbe.class.getName()))
                .redirectErrorStream(true);
        pb.environment().put("DJL_CACHE_DIR", cache.toString());
        pb.environment().remove("ENGINE_CACHE_DIR");
        pb.environment().remove("PYTORCH_LIBRARY_PATH");
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the probe finished");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("engine=PyTorch sum=6.0"), out);
        try (Stream<Path> s = Files.walk(cache)) {
            assertTrue(
                    s.anyMatch(f -> f.getFileName().toString().startsWith("libtorch")),
                    "libtorch was unpacked from the jar into the fresh cache");
        }
    }
}
