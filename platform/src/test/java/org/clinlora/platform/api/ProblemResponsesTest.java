package org.clinlora.platform.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.media.Schema.SchemaType;
import org.eclipse.microprofile.openapi.models.parameters.Parameter;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;
import org.junit.jupiter.api.Test;

/** What a client reading a service's OpenAPI document learns about its error answers. */
class ProblemResponsesTest {

    static Operation op() {
        return OASFactory.createOperation()
                .responses(OASFactory.createAPIResponses()
                        .addAPIResponse("200", OASFactory.createAPIResponse().description("OK")));
    }

    static Operation secured(Operation op) {
        return op.addSecurityRequirement(OASFactory.createSecurityRequirement().addScheme("SecurityScheme"));
    }

    static OpenAPI filtered(String path, Operation op) {
        OpenAPI api = OASFactory.createOpenAPI()
                .paths(OASFactory.createPaths()
                        .addPathItem(path, OASFactory.createPathItem().POST(op)));
        new ProblemResponses().filterOpenAPI(api);
        return api;
    }

    static String problemRef(APIResponse r) {
        return r.getContent().getMediaType(Problem.MEDIA_TYPE).getSchema().getRef();
    }

    @Test
    void aSecuredOperationWithABodyListsTheSharedRefusalsAsProblems() {
        Operation op = secured(op()).requestBody(OASFactory.createRequestBody());
        filtered("/v1/jobs", op);
        for (String code : List.of("400", "401", "403", "413", "415", "500", "503"))
            assertEquals(
                    "#/components/schemas/Problem", problemRef(op.getResponses().getAPIResponse(code)), code);
        assertTrue(op.getResponses().getAPIResponse("401").getHeaders().containsKey("WWW-Authenticate"));
        assertTrue(op.getResponses().getAPIResponse("503").getHeaders().containsKey("Retry-After"));
        assertNull(op.getResponses().getAPIResponse("200").getContent(), "a success answer is left as it is");
    }

    @Test
    void anOpenOperationWithoutABodyListsOnlyTheInternalError() {
        Operation op = op();
        filtered("/v2/health/live", op);
        assertEquals(
                List.of("200", "500"),
                op.getResponses().getAPIResponses().keySet().stream().sorted().toList());
    }

    @Test
    void anOperationsOwnAnswersGetTheProblemBodyAndTryLaterOnesRetryAfter() {
        Operation op = secured(op());
        op.getResponses()
                .addAPIResponse("404", OASFactory.createAPIResponse().description("no such job"))
                .addAPIResponse("429", OASFactory.createAPIResponse().description("the queue is full"))
                .addAPIResponse("503", OASFactory.createAPIResponse().description("the registry is down"));
        filtered("/v1/jobs/{id}", op);
        assertEquals("no such job", op.getResponses().getAPIResponse("404").getDescription());
        assertEquals(
                "#/components/schemas/Problem", problemRef(op.getResponses().getAPIResponse("404")));
        assertTrue(op.getResponses().getAPIResponse("429").getHeaders().containsKey("Retry-After"));
        assertTrue(op.getResponses().getAPIResponse("503").getHeaders().containsKey("Retry-After"));
        assertFalse(op.getResponses().getAPIResponse("403").getDescription().isBlank());
    }

    @Test
    void aNumericPathOrQueryParameterMeansA404ForOneThatIsNotANumber() {
        Operation op = op().addParameter(OASFactory.createParameter()
                .name("limit")
                .in(Parameter.In.QUERY)
                .schema(OASFactory.createSchema().addType(SchemaType.INTEGER)));
        filtered("/v1/jobs", op);
        assertEquals(
                "#/components/schemas/Problem", problemRef(op.getResponses().getAPIResponse("404")));
        Operation text = op().addParameter(OASFactory.createParameter()
                .name("id")
                .in(Parameter.In.PATH)
                .schema(OASFactory.createSchema().addType(SchemaType.STRING)));
        filtered("/v1/jobs/{id}", text);
        assertNull(text.getResponses().getAPIResponse("404"), "a text parameter always parses");
    }

    @Test
    void v2OperationsAnswerTheProblemWithItsErrorMember() {
        Operation op = secured(op());
        OpenAPI api = filtered("/v2/models/{name}/infer", op);
        assertEquals(
                "#/components/schemas/V2Problem", problemRef(op.getResponses().getAPIResponse("401")));
        assertTrue(api.getComponents()
                .getSchemas()
                .get("Problem")
                .getProperties()
                .keySet()
                .containsAll(List.of("type", "title", "status", "detail", "instance", "reason", "traceId")));
        assertTrue(api.getComponents()
                .getSchemas()
                .get("V2Problem")
                .getAllOf()
                .get(1)
                .getProperties()
                .containsKey("error"));
    }

    @Test
    void anErrorAnswerWithABodyOfItsOwnKeepsIt() {
        Operation op = op();
        op.getResponses()
                .addAPIResponse(
                        "503",
                        OASFactory.createAPIResponse()
                                .description("not ready")
                                .content(OASFactory.createContent()
                                        .addMediaType("application/json", OASFactory.createMediaType())));
        filtered("/v2/health/ready", op);
        assertNull(op.getResponses().getAPIResponse("503").getContent().getMediaType(Problem.MEDIA_TYPE));
        assertNull(op.getResponses().getAPIResponse("503").getHeaders(), "Retry-After comes with a problem only");
    }

    @Test
    void applyingItTwiceChangesNothing() {
        Operation op = secured(op()).requestBody(OASFactory.createRequestBody());
        OpenAPI api = filtered("/v1/jobs", op);
        String once = shape(op);
        new ProblemResponses().filterOpenAPI(api);
        assertEquals(once, shape(op));
    }

    static String shape(Operation op) {
        StringBuilder s = new StringBuilder();
        op.getResponses()
                .getAPIResponses()
                .forEach((code, r) -> s.append(code)
                        .append(
                                r.getContent() == null
                                        ? ""
                                        : r.getContent().getMediaTypes().keySet())
                        .append(r.getHeaders() == null ? "" : r.getHeaders().keySet())
                        .append(r.getDescription())
                        .append('\n'));
        return s.toString();
    }
}
