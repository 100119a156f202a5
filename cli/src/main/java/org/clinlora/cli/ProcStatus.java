package org.clinlora.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Memory figures of a process from Linux's {@code /proc/<pid>/status}, for the benchmarks. */
final class ProcStatus {
    private ProcStatus() {}

    /** A {@code kB} field such as {@code VmRSS} or {@code VmHWM} of {@code process} ("self" or a pid); -1 if absent. */
    static long kib(String process, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", process, "status"))) {
            if (line.startsWith(field + ":")) return Long.parseLong(line.replaceAll("\\D", ""));
        }
        return -1;
    }
}
