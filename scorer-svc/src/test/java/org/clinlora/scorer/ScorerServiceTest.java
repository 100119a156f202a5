package org.clinlora.scorer;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.notNullValue;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import org.clinlora.testing.LocalServices;
import org.clinlora.testing.ServiceSmokeTest;
import org.junit.jupiter.api.Test;

/**
 * Health (object store and Kafka included), metrics and OpenAPI, with the real local infrastructure and registry-svc.
 */
@QuarkusTest
@QuarkusTestResource(
        value = LocalServices.class,
        initArgs = @ResourceArg(name = "services", value = "registry,tokenizer,trainer"))
class ScorerServiceTest extends ServiceSmokeTest {
    @Override
    protected String serviceName() {
        return "scorer-svc";
    }

    @Test
    void openApiDocumentsTheScoringEndpointsAndReadinessIncludesTheStore() {
        given().queryParam("format", "json")
                .get("/q/openapi")
                .then()
                .statusCode(200)
                .body("paths.'/v1/score'.post", notNullValue())
                .body("paths.'/v1/evaluate'.post", notNullValue());
        given().get("/q/health/ready").then().statusCode(200).body(containsString("object-store"));
    }
}
