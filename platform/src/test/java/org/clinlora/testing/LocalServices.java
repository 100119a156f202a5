package org.clinlora.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.clinlora.platform.process.ServiceProcess;

/**
 * {@code @QuarkusTestResource(LocalServices.class)}: the real Kafka broker and S3Proxy (as {@link LocalInfraResource}),
 * plus other clinlora services this one calls, each from its built jar as a separate process on a free port — e.g.
 * {@code @ResourceArg(name = "services", value = "registry")} gives trainer-svc a real registry-svc and sets
 * {@code clinlora.registry.url}; a list ({@code "registry,tokenizer,trainer"}) starts them together, each told the
 * others' URLs ({@code CLINLORA_<SVC>_URL}, see {@link #launchAll}); {@code @ResourceArg(name = "env", value =
 * "A=1,B=2")} adds environment variables to every one. The jars come from the reactor build (the root pom builds
 * registry-svc before the services that call it); the processes are stopped when the test resource stops. Every process
 * uses the scope's own bucket ({@link TestBucket}), the run's topics ({@link TestTopics}) and the scope's consumer
 * groups ({@link TestGroups}), as the in-process service does.
 */
public final class LocalServices implements QuarkusTestResourceLifecycleManager {
    /**
     * A URL nothing answers on (port 1, refused at once): for a setting a test's boot must not use, rather than the
     * default, on which a user's own service may be listening.
     */
    public static final String NOWHERE = "http://127.0.0.1:1";

    private final LocalInfraResource infra = new LocalInfraResource();
    private final List<Process> processes = new ArrayList<>();
    private List<String> services = List.of();
    private final Map<String, String> extraEnv = new HashMap<>();

    @Override
    public void init(Map<String, String> initArgs) {
        infra.init(Map.of());
        String s = initArgs.getOrDefault("services", "");
        services = s.isBlank() ? List.of() : List.of(s.split(","));
        // "env": NAME=value pairs, comma-separated, for every launched service (e.g. tracing on for a trace test).
        for (String pair : initArgs.getOrDefault("env", "").split(",")) {
            int eq = pair.indexOf('=');
            if (eq > 0)
                extraEnv.put(
                        pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
        }
    }

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(infra.start());
        launchAll(services, extraEnv, LocalServices::logOf, processes)
                .forEach((svc, url) -> config.put("clinlora." + svc + ".url", url));
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

    /** The URL of a server on this machine's loopback address at {@code port}: a service launched here, or a stub. */
    public static String url(int port) {
        return "http://127.0.0.1:" + port;
    }

    /** The variable that tells a service where {@code svc} listens: {@code CLINLORA_<SVC>_URL}, as the CLI reads it. */
    public static String urlVariable(String svc) {
        return "CLINLORA_" + svc.toUpperCase(Locale.ROOT) + "_URL";
    }

    /** Where a launched service's output goes (appended; each service of a module's tests has one). */
    public static Path logOf(String svc) {
        return Path.of("target", svc + "-svc-test.log").toAbsolutePath();
    }

    /**
     * Starts {@code <svc>-svc} from its jar in the reactor build on {@code port} and waits until it is ready; it uses
     * the open test scope's bucket and consumer groups unless {@code env} names others.
     */
    public static Process launch(String svc, int port, Map<String, String> env) {
        return launch(svc, port, env, logOf(svc));
    }

    /** As {@link #launch(String, int, Map)}, output appended to {@code log} (one per replica when several run). */
    public static Process launch(String svc, int port, Map<String, String> env, Path log) {
        Path jar = LocalInfra.repoRoot().resolve(svc + "-svc/target/quarkus-app/quarkus-run.jar");
        Map<String, String> all = new HashMap<>();
        all.put("CLINLORA_KAFKA_BOOTSTRAP", LocalInfra.KAFKA_BOOTSTRAP);
        all.put("CLINLORA_S3_ENDPOINT", LocalInfra.S3_ENDPOINT);
        // The build's one libtorch unpack (the root pom's djl.cache.dir), also when a test runs outside Maven.
        all.put(
                "DJL_CACHE_DIR",
                System.getenv()
                        .getOrDefault(
                                "DJL_CACHE_DIR",
                                LocalInfra.repoRoot()
                                        .resolve("target/djl-cache")
                                        .toString()));
        all.putAll(TestAuth.env(svc + "-svc"));
        String bucket = env.getOrDefault("CLINLORA_S3_BUCKET", TestBucket.current());
        all.put("CLINLORA_S3_BUCKET", bucket);
        all.putAll(TestTopics.env(svc, env));
        all.putAll(TestGroups.env(svc, bucket, env));
        all.putAll(env);
        return ServiceProcess.start(svc + "-svc", jar, port, jvmOptions(), all, log, Duration.ofSeconds(120))
                .process();
    }

    /**
     * The test services' JVM options: a 1 GiB heap, the build's test JVM options (the root pom's
     * {@code test.jvm.options}, passed as {@code clinlora.test.jvm.options}), and debug logging of our code, the
     * messaging layer and every HTTP request (the PHI log test reads these logs).
     */
    static List<String> jvmOptions() {
        List<String> options = new ArrayList<>(List.of("-Xmx1g"));
        String build = System.getProperty("clinlora.test.jvm.options", "").trim();
        if (!build.isEmpty()) options.addAll(List.of(build.split("\\s+")));
        options.addAll(List.of(
                "-Dquarkus.log.category.\"org.clinlora\".level=DEBUG",
                "-Dquarkus.log.category.\"io.smallrye.reactive.messaging\".level=DEBUG",
                "-Dquarkus.log.category.\"org.jboss.resteasy.reactive\".level=DEBUG",
                "-Dquarkus.http.access-log.enabled=true"));
        return options;
    }

    /**
     * Starts {@code services} together, each on a free port, and returns their URLs by name once every one is ready.
     * Each is told every other's URL ({@code CLINLORA_<SVC>_URL}) besides {@code env}: none needs another to become
     * ready, so they boot side by side (see the root pom's test.jvm.options for the time this saves). Every process
     * started is added to {@code started}, whose owner stops them, also when one of them fails to start.
     */
    public static Map<String, String> launchAll(
            List<String> services, Map<String, String> env, Function<String, Path> logOf, List<Process> started) {
        Map<String, Integer> ports = new LinkedHashMap<>();
        Map<String, String> urls = new LinkedHashMap<>();
        Map<String, String> all = new HashMap<>(env);
        List<Integer> free = freePorts(services.size());
        for (String svc : services) {
            ports.put(svc, free.get(ports.size()));
            urls.put(svc, url(ports.get(svc)));
            all.put(urlVariable(svc), urls.get(svc));
        }
        // Added as each one is ready: the owner stops those that started, also when another one failed.
        together(services.stream()
                .map(svc -> (Callable<Process>) () -> {
                    Process p = launch(svc, ports.get(svc), all, logOf.apply(svc));
                    synchronized (started) {
                        started.add(p);
                    }
                    return p;
                })
                .toList());
        return urls;
    }

    /**
     * Runs the starts side by side and returns their results in order once every one has ended; when any failed, the
     * first failure is thrown (the others suppressed in it) after all have ended. Interrupted, it interrupts them (a
     * service start interrupted kills its process: {@link ServiceProcess}) and waits for them to end before it throws,
     * so nothing is still being added to its caller's lists.
     */
    public static <T> List<T> together(List<Callable<T>> starts) {
        ExecutorService starting = Executors.newFixedThreadPool(Math.max(1, starts.size()));
        try {
            List<Future<T>> running = new ArrayList<>();
            for (Callable<T> start : starts) running.add(starting.submit(start));
            List<T> results = new ArrayList<>();
            RuntimeException failed = null;
            for (Future<T> f : running) {
                try {
                    results.add(f.get());
                } catch (ExecutionException e) {
                    RuntimeException cause =
                            e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                    if (failed == null) failed = cause;
                    else failed.addSuppressed(cause);
                }
            }
            if (failed != null) throw failed;
            return results;
        } catch (InterruptedException e) {
            starting.shutdownNow();
            awaitQuietly(starting);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the services started", e);
        } finally {
            starting.shutdown();
        }
    }

    private static void awaitQuietly(ExecutorService pool) {
        try {
            pool.awaitTermination(60, TimeUnit.SECONDS); // a start interrupted stops its process within seconds
        } catch (InterruptedException again) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code n} distinct free ports, picked one after another before any service binds one. */
    public static List<Integer> freePorts(int n) {
        Set<Integer> ports = new LinkedHashSet<>();
        while (ports.size() < n) ports.add(freePort());
        return List.copyOf(ports);
    }

    public static int freePort() {
        return ServiceProcess.freePort();
    }
}
