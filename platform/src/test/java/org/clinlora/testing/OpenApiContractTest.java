package org.clinlora.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.clinlora.testing.OpenApiContract.Operation;
import org.clinlora.testing.OpenApiContract.Report;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

/** The contract check a service's ContractIT runs: what it lets through and what it fails on. */
class OpenApiContractTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static final String PROBLEM = "{\"content\": {\"application/problem+json\": {\"schema\": "
            + "{\"$ref\": \"#/components/schemas/Problem\"}}}";

    // Two operations sharing a path shape: a literal segment ("from-store") and a variable one ("{version}").
    static final String DOCUMENT = """
            {"components": {"schemas": {"Problem": {"properties": {"reason": {}}}}},
             "paths": {
              "/v1/adapters/{name}/versions/from-store": {"post": {"responses": {"201": {}, "409": %1$s}}},
              "/v1/adapters/{name}/versions/{version}": {
                "get": {"responses": {"200": {}, "404": %1$s}},
                "delete": {"responses": {"204": {}, "409": %1$s}}},
              "/v1/jobs": {"post": {"responses": {"202": {}, "429": %2$s}}}
             }}""".formatted(PROBLEM + "}", PROBLEM + ", \"headers\": {\"Retry-After\": {}}}");

    static JsonNode document() throws IOException {
        return JSON.readTree(DOCUMENT);
    }

    @Test
    void aStatusTheDocumentListsPassesAndOneItDoesNotFails() throws IOException {
        Report r = OpenApiContract.compare(
                document(),
                List.of(
                        "POST /v1/adapters/los/versions/from-store 201",
                        "POST /v1/adapters/los/versions/from-store 409",
                        "GET /v1/adapters/los/versions/3 200",
                        "GET /v1/adapters/los/versions/3 503",
                        "GET /v1/adapters/los/versions/3 503",
                        "POST /v1/jobs 202"));
        assertFalse(r.holds());
        assertEquals(
                Map.of(new Operation("GET", "/v1/adapters/{name}/versions/{version}"), Map.of(503, 2)),
                r.undocumented());
    }

    @Test
    void aRequestGoesToTheTemplateWithTheMostLiteralSegmentsThatHasItsMethod() throws IOException {
        Set<Operation> ops = OpenApiContract.documented(document()).keySet();
        assertEquals(
                "POST /v1/adapters/{name}/versions/from-store",
                OpenApiContract.operationOf(ops, "POST", "/v1/adapters/a/versions/from-store")
                        .orElseThrow()
                        .toString());
        assertEquals(
                "DELETE /v1/adapters/{name}/versions/{version}",
                OpenApiContract.operationOf(ops, "DELETE", "/v1/adapters/a/versions/from-store")
                        .orElseThrow()
                        .toString());
        assertTrue(OpenApiContract.operationOf(ops, "PUT", "/v1/jobs").isEmpty(), "a 405 is no operation's");
        assertTrue(OpenApiContract.operationOf(ops, "GET", "/q/health/ready").isEmpty());
        assertTrue(OpenApiContract.operationOf(ops, "GET", "/v1/adapters//versions/1")
                .isEmpty());
    }

    @Test
    void requestsOutsideTheDocumentAndUnobservedStatusesAreInformationOnly() throws IOException {
        Report r = OpenApiContract.compare(
                document(), List.of("GET /q/health/ready 200", "PATCH /v1/jobs 405", "GET /nowhere 404"));
        assertTrue(r.holds());
        assertEquals(3, r.outsideTheDocument().size());
        assertEquals(Set.of(202, 429), r.neverObserved().get(new Operation("POST", "/v1/jobs")));
        assertEquals(4, r.operations());
        assertEquals(8, r.documented());
    }

    @Test
    void anErrorAnswerWithoutTheProblemBodyOrRetryAfterFails() throws IOException {
        String doc = """
                {"components": {"schemas": {"Problem": {"properties": {"reason": {}}}}},
                 "paths": {"/v1/jobs": {"post": {"responses": {
                   "404": {"description": "no body"},
                   "429": %s}}}}}}""".formatted(PROBLEM);
        Report r = OpenApiContract.compare(JSON.readTree(doc), List.of());
        assertFalse(r.holds());
        assertEquals(
                List.of("POST /v1/jobs 404: no body documented", "POST /v1/jobs 429: no Retry-After header documented"),
                r.badShapes());
    }

    @Test
    void theAssertionNamesEachUndocumentedStatus(@TempDir Path dir) throws IOException {
        Path doc = Files.writeString(dir.resolve("openapi.json"), DOCUMENT);
        Path seen = Files.writeString(dir.resolve("observed.txt"), "DELETE /v1/adapters/a/versions/2 404\n");
        AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> OpenApiContract.assertHolds(doc, seen));
        assertTrue(
                e.getMessage().contains("DELETE /v1/adapters/{name}/versions/{version} answered 404 (1 time)"),
                e.getMessage());
        Files.writeString(seen, "DELETE /v1/adapters/a/versions/2 409\n");
        OpenApiContract.assertHolds(doc, seen);
    }

    @Test
    void noObservationsFail(@TempDir Path dir) throws IOException {
        Path doc = Files.writeString(dir.resolve("openapi.json"), DOCUMENT);
        assertThrows(AssertionFailedError.class, () -> OpenApiContract.assertHolds(doc, dir.resolve("none.txt")));
    }
}
