package org.clinlora.cli.bench;

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

    /** Minor page faults of this process so far ({@code /proc/self/stat} field 10); -1 where not Linux. */
    static long minorFaults() {
        String[] f = stat("self");
        return f == null ? -1 : Long.parseLong(f[7]); // fields after "(comm)" start at 3: minflt is field 10
    }

    /**
     * CPU seconds (user + system) {@code process} ("self" or a pid) has used so far ({@code /proc/<pid>/stat} fields 14
     * and 15, in clock ticks of 1/100 s); -1 where not Linux.
     */
    static double cpuSeconds(String process) {
        String[] f = stat(process);
        return f == null ? -1 : (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    }

    /**
     * The fields of {@code /proc/<process>/stat} after "(comm)", which may hold spaces (index 0 is field 3), or null
     * where it cannot be read. Callers parse only the fields they read: some (rsslim) exceed a signed long.
     */
    private static String[] stat(String process) {
        try {
            String stat = Files.readString(Path.of("/proc", process, "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).strip().split(" ");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
