package org.clinlora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The model library's rule (docs/ARCHITECTURE.md): it depends on DJL and Jackson only, never on the service stack. The
 * POM already keeps those jars off its class path; this test keeps the sources honest too (fully qualified names
 * included), so a newcomer who moves service code in here hears about it at once.
 */
class ModelLibraryDependenciesTest {
    static final Pattern FORBIDDEN = Pattern.compile(
            "\\b(jakarta\\.[a-z]|javax\\.ws|io\\.quarkus|io\\.smallrye|io\\.vertx|org\\.apache\\.kafka|io\\.minio|org\\.eclipse\\.microprofile|org\\.clinlora\\.platform|org\\.clinlora\\.cli)");

    @Test
    void theModelLibraryNamesNoServicePackage() throws IOException {
        Path sources = Path.of(System.getProperty("clinlora.root", "."), "model", "src", "main", "java");
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    Matcher m = FORBIDDEN.matcher(lines.get(i));
                    if (m.find()) found.add(sources.relativize(f) + ":" + (i + 1) + " " + m.group(1));
                }
            }
        }
        assertEquals(List.of(), found);
    }
}
