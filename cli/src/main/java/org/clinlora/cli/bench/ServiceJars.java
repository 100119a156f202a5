package org.clinlora.cli.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.clinlora.cli.client.CliAuth;
import org.clinlora.platform.process.ServiceProcess;

/**
 * The services as the launcher finds them: built by {@code mvn package} under {@code $CLINLORA_ROOT} (the
 * {@code clinlora} script sets it), started on a free port with this user's development service token, logging to
 * {@code .run/logs/bench-<svc>.log}, working in the bench's bucket ({@link BenchBucket}).
 */
final class ServiceJars {
    private ServiceJars() {}

    static Path jar(String svc) {
        return root().resolve(svc + "-svc/target/quarkus-app/quarkus-run.jar");
    }

    static ServiceProcess start(String svc, BenchBucket.InUse bucket, Map<String, String> env) {
        Map<String, String> all = new HashMap<>(CliAuth.serviceEnv(svc + "-svc"));
        all.putAll(bucket.env(svc));
        // The benches load a service from one subject as fast as it answers: they measure it, not its rate limits.
        all.put("CLINLORA_LIMITS_ENABLED", "false");
        all.putAll(env);
        return ServiceProcess.start(
                svc + "-svc",
                jar(svc),
                ServiceProcess.freePort(),
                List.of(),
                all,
                root().resolve(".run/logs/bench-" + svc + ".log"),
                Duration.ofSeconds(120));
    }

    private static Path root() {
        return Path.of(System.getenv().getOrDefault("CLINLORA_ROOT", "."));
    }
}
