package org.clinlora.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one measurement of a benchmark in a JVM of its own (same JVM options, same class path), so one size's memory
 * never counts for the next: the child prints its figures as one JSON line after {@code prefix}; every other line it
 * prints is passed on, indented.
 */
final class ChildJvm {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ChildJvm() {}

    /** {@code entryPoint}: the class whose {@code main} runs the command line ({@code CliCommand#entryPoint}). */
    static JsonNode run(String entryPoint, String prefix, String what, List<String> clinloraArgs)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), entryPoint));
        cmd.addAll(clinloraArgs);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        JsonNode result = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith(prefix)) result = JSON.readTree(line.substring(prefix.length()));
                else System.out.println("    " + line);
            }
        }
        int rc = p.waitFor();
        if (rc != 0 || result == null)
            throw new IllegalStateException("the measurement of " + what + " failed (exit " + rc + ")");
        return result;
    }
}
