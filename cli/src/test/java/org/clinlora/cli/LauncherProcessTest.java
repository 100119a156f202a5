package org.clinlora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the launcher ({@code infra/lib.sh}, used by {@code ./clinlora services|infra up}) reads a pid file right after
 * its process was killed: a dead process that is still visible to {@code kill -0} (here a zombie whose parent does not
 * reap it) must count as gone, so {@code up} starts a new one instead of answering "already running" and then "exited
 * during start-up".
 */
class LauncherProcessTest {

    @TempDir
    Path dir;

    static Path root() {
        String prop = System.getProperty("clinlora.root");
        Path p = prop != null ? Path.of(prop) : Path.of("").toAbsolutePath().getParent();
        assertTrue(Files.isRegularFile(p.resolve("infra/lib.sh")), "repository root with infra/lib.sh: " + p);
        return p;
    }

    private List<String> bash(String script) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(
                        "bash",
                        "-c",
                        "set -euo pipefail; log() { echo \"log: $*\"; }; source \"$ROOT/infra/lib.sh\"; " + script)
                .redirectErrorStream(true)
                .directory(dir.toFile());
        pb.environment().put("ROOT", root().toString());
        Process p = pb.start();
        boolean done = p.waitFor(60, TimeUnit.SECONDS);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(done, "script timed out: " + out);
        assertEquals(0, p.exitValue(), out);
        return out.lines().toList();
    }

    @Test
    void aKilledProcessStillVisibleToKill0CountsAsGoneAndItsPidFileIsRemoved() throws Exception {
        String script = String.join(
                "\n",
                // The child's parent becomes `sleep 5`, which never reaps: once killed, the child stays a zombie.
                "bash -c 'sleep 300 & echo $! > child.pid; exec sleep 5' >/dev/null 2>&1 &",
                "for _ in $(seq 1 50); do [[ -s child.pid ]] && break; sleep 0.1; done",
                "pid=$(cat child.pid)",
                "echo \"before: $(process_state \"$pid\")\"",
                "kill -9 \"$pid\"",
                "for _ in $(seq 1 50); do [[ $(process_state \"$pid\") == gone ]] && break; sleep 0.1; done",
                "kill -0 \"$pid\" 2>/dev/null && echo 'kill -0: still there'",
                "echo \"after: $(process_state \"$pid\")\"",
                "if pidfile_running child child.pid; then echo running; else echo 'not running'; fi",
                "[[ -f child.pid ]] || echo 'pid file removed'",
                "echo \"never started: $(process_state 999999999)\"");
        // "kill -0: still there": the zombie is what the old kill -0 check mistook for a live service.
        assertPrinted(
                bash(script),
                "before: running",
                "kill -0: still there",
                "after: gone",
                "not running",
                "pid file removed",
                "never started: gone");
    }

    @Test
    void aRunningProcessIsRunningAndStopPidfileWaitsUntilItIsGone() throws Exception {
        String script = String.join(
                "\n",
                "sleep 300 & echo $! > svc.pid",
                "if pidfile_running svc svc.pid; then echo running; fi",
                "stop_pidfile svc svc.pid",
                "[[ -f svc.pid ]] || echo 'pid file removed'",
                "wait 2>/dev/null || true");
        assertPrinted(bash(script), "running", "log: svc stopped", "pid file removed");
    }

    private static void assertPrinted(List<String> out, String... lines) {
        for (String line : lines) assertTrue(out.contains(line), "'" + line + "' in " + out);
    }
}
