package org.clinlora.platform.wiring;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * Every service publishes its HTTP server latency as a Prometheus histogram
 * ({@code http_server_requests_seconds_bucket}), so the p99 latency alert can compute {@code histogram_quantile(0.99,
 * …)} across replicas; without it Micrometer exports only count, sum and max.
 */
@ApplicationScoped
public class MetricsFilters {
    /** The meter Quarkus Micrometer records each HTTP request on. */
    public static final String HTTP_SERVER_REQUESTS = "http.server.requests";

    @Produces
    @Singleton
    MeterFilter httpServerHistogram() {
        return new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (!HTTP_SERVER_REQUESTS.equals(id.getName())) {
                    return config;
                }
                return DistributionStatisticConfig.builder()
                        .percentilesHistogram(true)
                        .build()
                        .merge(config);
            }
        };
    }
}
