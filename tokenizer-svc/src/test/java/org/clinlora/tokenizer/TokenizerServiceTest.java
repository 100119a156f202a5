package org.clinlora.tokenizer;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.notNullValue;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.clinlora.testing.LocalInfraResource;
import org.clinlora.testing.ServiceSmokeTest;
import org.junit.jupiter.api.Test;

/** Health (object store and Kafka included), metrics and OpenAPI, against the real local S3Proxy and broker. */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class TokenizerServiceTest extends ServiceSmokeTest {
    @Override
    protected String serviceName() {
        return "tokenizer-svc";
    }

    @Test
    void openApiDocumentsTheEndpointsAndReadinessIncludesTheStore() {
        given().queryParam("format", "json")
                .get("/q/openapi")
                .then()
                .statusCode(200)
                .body("paths.'/v1/tokenize'.post", notNullValue())
                .body("paths.'/v1/datasets'.post", notNullValue())
                .body("paths.'/v1/datasets/{id}'.get", notNullValue());
        given().get("/q/health/ready").then().statusCode(200).body(containsString("object-store"));
    }
}
