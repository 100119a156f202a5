package org.clinlora.platform.process;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A clinlora service run from its jar as a separate process — the one way the CLI's benches and the tests start a
 * service: {@code java -jar} with the given options and environment, output appended to a log, and ready when
 * {@code /q/health/ready} answers 200. The caller says where the jar is; this class knows no build layout.
 */
public final class ServiceProcess implements AutoCloseable {
    private final String name;
    private final int port;
    private final Process process;
    private final Path log;

    private ServiceProcess(String name, int port, Process process, Path log) {
        this.name = name;
        this.port = port;
        this.process = process;
        this.log = log;
    }

    /**
     * Starts {@code jar} with {@code CLINLORA_<SERVICE>_PORT} set to {@code port} (service {@code registry-svc} → the
     * variable of {@code registry}) and waits until it is ready (health is open, no token needed), at most
     * {@code readyWithin}.
     */
    public static ServiceProcess start(
            String service,
            Path jar,
            int port,
            List<String> jvmOptions,
            Map<String, String> env,
            Path log,
            Duration readyWithin) {
        if (!Files.isRegularFile(jar))
            throw new IllegalStateException(jar + " is missing: build it first (mvn -B -DskipTests package)");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Dai.djl.offline=true");
        cmd.addAll(jvmOptions);
        cmd.add("-jar");
        cmd.add(jar.toString());
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            String shortName = service.replaceAll("-svc$", "").toUpperCase(Locale.ROOT);
            pb.environment().put("CLINLORA_" + shortName + "_PORT", String.valueOf(port));
            pb.environment().putAll(env);
            ServiceProcess s = new ServiceProcess(service, port, pb.start(), log);
            s.awaitReady(readyWithin);
            return s;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + service + ": " + e.getMessage(), e);
        }
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public Process process() {
        return process;
    }

    /** Stops the process (SIGTERM, then SIGKILL after 30 s). */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS))
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A free TCP port on the loopback interface. */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void awaitReady(Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) throw new IllegalStateException(name + " exited during start-up; see " + log);
                if (ready()) return;
                Thread.sleep(250);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IllegalStateException("interrupted while " + name + " started", e);
        }
        process.destroyForcibly();
        throw new IllegalStateException(name + " was not ready in " + within.toSeconds() + " s; see " + log);
    }

    private boolean ready() {
        try {
            HttpURLConnection c = (HttpURLConnection)
                    URI.create(url() + "/q/health/ready").toURL().openConnection();
            c.setConnectTimeout(1000);
            c.setReadTimeout(2000);
            return c.getResponseCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }
}
