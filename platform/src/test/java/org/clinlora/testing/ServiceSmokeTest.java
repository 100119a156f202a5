package org.clinlora.testing;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import org.junit.jupiter.api.Test;

/**
 * What every clinlora service promises an operator before any feature: it starts, reports health for Kubernetes probes,
 * exposes Prometheus metrics and describes its API in OpenAPI. Each service's @QuarkusTest extends this.
 */
public abstract class ServiceSmokeTest {

    /** The service's application name, e.g. {@code scorer-svc}. */
    protected abstract String serviceName();

    @Test
    void healthLivenessAndReadinessAreUp() {
        given().get("/q/health").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void openApiDocumentNamesTheService() {
        given().queryParam("format", "json")
                .get("/q/openapi")
                .then()
                .statusCode(200)
                .body("openapi", containsString("3."))
                .body("info.title", equalTo("clinlora " + serviceName()));
    }

    @Test
    void prometheusMetricsAreExposed() {
        given().get("/q/metrics").then().statusCode(200).body(containsString("jvm_"));
    }

    /** The p99 latency alert takes histogram_quantile over the buckets (platform/…/wiring/MetricsFilters). */
    @Test
    void httpLatencyIsPublishedAsAHistogram() {
        given().get("/v1/smoke-test-no-such-path");
        given().get("/q/metrics").then().statusCode(200).body(containsString("http_server_requests_seconds_bucket{"));
    }
}
