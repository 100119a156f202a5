package org.clinlora.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code @QuarkusTestResource(LocalServices.class)}: the real Kafka broker and S3Proxy (as {@link LocalInfraResource}),
 * plus other clinlora services this one calls, each from its built jar as a separate process on a free port — e.g.
 * {@code @ResourceArg(name = "services", value = "registry")} gives trainer-svc a real registry-svc and sets
 * {@code clinlora.registry.url}; a list ({@code "registry,tokenizer,trainer"}) starts them in order, each later one told
 * the earlier ones' URLs ({@code CLINLORA_<SVC>_URL}). The jars come from the reactor build (the root pom builds registry-svc before the
 * services that call it); the processes are stopped when the test resource stops.
 */
public final class LocalServices implements QuarkusTestResourceLifecycleManager {
    private final LocalInfraResource infra = new LocalInfraResource();
    private final List<Process> processes = new ArrayList<>();
    private List<String> services = List.of();

    @Override
    public void init(Map<String, String> initArgs) {
        infra.init(Map.of());
        String s = initArgs.getOrDefault("services", "");
        services = s.isBlank() ? List.of() : List.of(s.split(","));
    }

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(infra.start());
        Map<String, String> env = new HashMap<>();
        for (String svc : services) {
            int port = freePort();
            processes.add(launch(svc, port, env));
            String url = "http://127.0.0.1:" + port;
            config.put("clinlora." + svc + ".url", url);
            env.put("CLINLORA_" + svc.toUpperCase() + "_URL", url);  // services started later call the earlier ones
        }
        return config;
    }

    @Override
    public void stop() {
        for (Process p : processes) {
            p.destroy();
            try {
                if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        infra.stop();
    }

    /** Where a launched service's output goes (appended; each service of a module's tests has one). */
    public static Path logOf(String svc) {
        return Path.of("target", svc + "-svc-test.log").toAbsolutePath();
    }

    /** Starts {@code <svc>-svc} from its jar on {@code port} and waits until it is ready. */
    public static Process launch(String svc, int port, Map<String, String> env) {
        Path root = LocalInfra.repoRoot();
        Path jar = root.resolve(svc + "-svc/target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) throw new IllegalStateException(jar + " is missing: build it first (mvn -B -DskipTests package -pl " + svc + "-svc)");
        Path log = logOf(svc);
        try {
            // Debug logging of our code, the messaging layer and every HTTP request: the PHI log test reads these logs.
            ProcessBuilder pb = new ProcessBuilder("java", "-Dai.djl.offline=true", "-Xmx1g",
                    "-Dquarkus.log.category.\"org.clinlora\".level=DEBUG", "-Dquarkus.log.category.\"io.smallrye.reactive.messaging\".level=DEBUG",
                    "-Dquarkus.log.category.\"org.jboss.resteasy.reactive\".level=DEBUG", "-Dquarkus.http.access-log.enabled=true",
                    "-jar", jar.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().put("CLINLORA_" + svc.toUpperCase() + "_PORT", String.valueOf(port));
            pb.environment().put("CLINLORA_KAFKA_BOOTSTRAP", LocalInfra.KAFKA_BOOTSTRAP);
            pb.environment().put("CLINLORA_S3_ENDPOINT", LocalInfra.S3_ENDPOINT);
            pb.environment().putIfAbsent("DJL_CACHE_DIR", Path.of("target", "djl-cache").toAbsolutePath().toString());
            pb.environment().putAll(TestAuth.env(svc + "-svc"));
            pb.environment().putAll(env);
            Process p = pb.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline) {
                if (!p.isAlive()) throw new IllegalStateException(svc + "-svc exited during start-up; see " + log);
                if (ready(port)) return p;
                Thread.sleep(250);
            }
            p.destroyForcibly();
            throw new IllegalStateException(svc + "-svc was not ready in 120 s; see " + log);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + svc + "-svc: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static boolean ready(int port) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/q/health/ready").toURL().openConnection();
            c.setConnectTimeout(1000);
            c.setReadTimeout(2000);
            return c.getResponseCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
