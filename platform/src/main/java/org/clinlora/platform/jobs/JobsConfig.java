package org.clinlora.platform.jobs;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Optional;

/** {@code clinlora.jobs.*}: how replicas of trainer-svc and tokenizer-svc share their jobs (leases, recovery). */
@ConfigMapping(prefix = "clinlora.jobs")
public interface JobsConfig {
    /**
     * How long a job's lease lasts without renewal: the wait before another replica takes over a crashed owner's job.
     */
    @WithDefault("PT30S")
    Duration leaseTtl();

    /**
     * How often a replica looks in the store for jobs nobody holds (new on another replica, or left by a crashed one).
     */
    @WithDefault("PT15S")
    Duration recoverInterval();

    /**
     * This replica's owner id in leases. It must be stable across restarts of the same replica (so a restarted process
     * takes its own jobs back at once) and differ between replicas. Default: the host name (the pod name in Kubernetes)
     * and the HTTP port, which two live processes cannot share.
     */
    Optional<String> owner();

    static String defaultOwner(int httpPort) {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                host = "localhost";
            }
        }
        return host + ":" + httpPort;
    }
}
