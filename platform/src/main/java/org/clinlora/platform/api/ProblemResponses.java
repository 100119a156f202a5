package org.clinlora.platform.api;

import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.Components;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.headers.Header;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.media.Schema.SchemaType;
import org.eclipse.microprofile.openapi.models.parameters.Parameter;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;
import org.eclipse.microprofile.openapi.models.security.SecurityRequirement;

/**
 * Completes every service's OpenAPI document with what its error answers share, so that a resource method names only
 * the statuses of its own ({@code @APIResponse(responseCode = "404", description = …)}): registered for every service
 * by {@code mp.openapi.filter} in the platform's {@code META-INF/microprofile-config.properties}.
 *
 * <ul>
 *   <li>the {@value #PROBLEM} schema (RFC 9457, {@link Problem}) and {@value #V2_PROBLEM} (the same with {@code error},
 *       for {@code /v2/}), and the {@code Retry-After} and {@code WWW-Authenticate} headers, as components;
 *   <li>the answers every operation of a kind has: 401, 403 and 503 (a dependency down) when it needs a token — every
 *       such operation reads the object store or calls another service —, 400, 413 and 415 when it takes a body, 404
 *       when a path or query parameter is a number (JAX-RS answers 404 to one that does not parse), 500 always;
 *   <li>on every 4xx/5xx answer without a body of its own, the problem body as {@value Problem#MEDIA_TYPE}, with
 *       {@code Retry-After} on 429 and 503 and {@code WWW-Authenticate} on 401 ({@link Problems} sets them).
 * </ul>
 *
 * <p>Idempotent: Quarkus may apply it to a document it has already filtered (at build and at start).
 */
public class ProblemResponses implements OASFilter {
    /** The component schema of a problem body. */
    public static final String PROBLEM = "Problem";
    /** A problem under {@code /v2/}: the KServe V2 / Open Inference protocol's clients read {@code error}. */
    public static final String V2_PROBLEM = "V2Problem";

    static final String RETRY_AFTER = "Retry-After";
    static final String WWW_AUTHENTICATE = "WWW-Authenticate";

    // Quarkus's own descriptions of the 401/403 it adds to secured operations: replaced by ours, which say more.
    private static final List<String> GENERIC = List.of("Not Authorized", "Not Allowed", "Bad Request");

    @Override
    public void filterOpenAPI(OpenAPI api) {
        Components components = api.getComponents();
        if (components == null) api.setComponents(components = OASFactory.createComponents());
        components.addSchema(PROBLEM, problemSchema());
        components.addSchema(V2_PROBLEM, v2ProblemSchema());
        components.addHeader(RETRY_AFTER, header("Seconds to wait before trying again", SchemaType.INTEGER));
        components.addHeader(
                WWW_AUTHENTICATE,
                header("The scheme to authenticate with: Bearer realm=\"clinlora\"", SchemaType.STRING));
        if (api.getPaths() == null || api.getPaths().getPathItems() == null) return;
        boolean securedByDefault = secured(api.getSecurity());
        api.getPaths().getPathItems().forEach((path, item) -> {
            if (item.getOperations() == null) return;
            item.getOperations().values().forEach(op -> complete(path, item, op, securedByDefault));
        });
    }

    private static void complete(String path, PathItem item, Operation op, boolean securedByDefault) {
        APIResponses responses = op.getResponses();
        if (responses == null) op.setResponses(responses = OASFactory.createAPIResponses());
        if (op.getSecurity() == null ? securedByDefault : secured(op.getSecurity())) {
            addAnswer(responses, 401, "No bearer token, or one that is not valid (which check failed is never said)");
            addAnswer(responses, 403, "The token's roles do not allow this call");
            // Every operation behind a token reads the object store or calls another service.
            addAnswer(
                    responses,
                    503,
                    "This service, or one it depends on (the object store, the registry), cannot "
                            + "serve now; try again after Retry-After");
        }
        if (op.getRequestBody() != null) {
            addAnswer(
                    responses,
                    400,
                    "The body is not what this operation takes (not valid JSON or form data, or a "
                            + "field that breaks a rule)");
            addAnswer(responses, 413, "The body is larger than this service accepts");
            addAnswer(responses, 415, "The body's media type is not one this operation takes");
        }
        if (numericParameter(item.getParameters()) || numericParameter(op.getParameters()))
            addAnswer(
                    responses, 404, "A path or query parameter that must be a number is not one (JAX-RS answers 404)");
        addAnswer(responses, 500, "An unforeseen error: the detail gives a reference (the trace id) to quote");
        String schema = path.equals("/v2") || path.startsWith("/v2/") ? V2_PROBLEM : PROBLEM;
        responses.getAPIResponses().forEach((code, r) -> {
            int status = status(code);
            if (status >= 400) asProblem(r, status, schema);
        });
    }

    private static void addAnswer(APIResponses responses, int status, String description) {
        APIResponse r = responses.getAPIResponse(String.valueOf(status));
        if (r == null) {
            responses.addAPIResponse(
                    String.valueOf(status), OASFactory.createAPIResponse().description(description));
        } else if (r.getDescription() == null || GENERIC.contains(r.getDescription())) {
            r.setDescription(description);
        }
    }

    /** A body of its own (a V2 readiness answer, say) is kept; an answer without one gets the problem body. */
    private static void asProblem(APIResponse r, int status, String schema) {
        if (r.getRef() != null) return;
        if (r.getContent() == null
                || r.getContent().getMediaTypes() == null
                || r.getContent().getMediaTypes().isEmpty()) {
            r.setContent(OASFactory.createContent()
                    .addMediaType(
                            Problem.MEDIA_TYPE,
                            OASFactory.createMediaType()
                                    .schema(OASFactory.createSchema().ref(schema))));
        }
        // The headers come with the problem (Problems sets them), not with a body of an operation's own.
        if (r.getContent().getMediaType(Problem.MEDIA_TYPE) == null) return;
        if (status == 429 || status == 503) addHeader(r, RETRY_AFTER);
        if (status == 401) addHeader(r, WWW_AUTHENTICATE);
    }

    private static void addHeader(APIResponse r, String name) {
        Map<String, Header> headers = r.getHeaders();
        if (headers == null || !headers.containsKey(name))
            r.addHeader(name, OASFactory.createHeader().ref(name));
    }

    private static boolean numericParameter(List<Parameter> parameters) {
        if (parameters == null) return false;
        for (Parameter p : parameters) {
            List<SchemaType> types =
                    p.getSchema() == null ? null : p.getSchema().getType();
            boolean pathOrQuery = p.getIn() == Parameter.In.PATH || p.getIn() == Parameter.In.QUERY;
            if (pathOrQuery
                    && types != null
                    && (types.contains(SchemaType.INTEGER) || types.contains(SchemaType.NUMBER))) return true;
        }
        return false;
    }

    private static boolean secured(List<SecurityRequirement> requirements) {
        return requirements != null && !requirements.isEmpty();
    }

    private static int status(String code) {
        try {
            return Integer.parseInt(code);
        } catch (NumberFormatException e) {
            return 0; // "default", or a range such as "4XX"
        }
    }

    private static Header header(String description, SchemaType type) {
        return OASFactory.createHeader()
                .description(description)
                .schema(OASFactory.createSchema().addType(type));
    }

    static Schema problemSchema() {
        return OASFactory.createSchema()
                .addType(SchemaType.OBJECT)
                .description("An RFC 9457 problem: the body of every 4xx and 5xx answer")
                .addProperty(
                        "type",
                        text("A URI naming the case: " + Problem.TYPE_BASE + "<reason>")
                                .format("uri"))
                .addProperty("title", text("The status's reason phrase (RFC 9110)"))
                .addProperty(
                        "status",
                        OASFactory.createSchema()
                                .addType(SchemaType.INTEGER)
                                .format("int32")
                                .description("The HTTP status, repeated"))
                .addProperty("detail", text("A sentence for people; never quotes a request body"))
                .addProperty(
                        "instance",
                        text("The request's path as sent, without its query string")
                                .format("uri-reference"))
                .addProperty(
                        "reason",
                        text("The project's code for the case, what clients switch on (wrong_base_model, "
                                + "queue_full; the status's own code, such as not_found, when there is no finer one)"))
                .addProperty(
                        "traceId",
                        text("The request's W3C trace id (or its request id): the reference to quote and to find "
                                + "in logs and traces"))
                .required(List.of("type", "title", "status", "detail", "reason", "traceId"));
    }

    static Schema v2ProblemSchema() {
        return OASFactory.createSchema()
                .description("A problem under /v2/ (KServe V2 / Open Inference protocol): also `error`, the member "
                        + "V2 clients read")
                .allOf(List.of(
                        OASFactory.createSchema().ref(PROBLEM),
                        OASFactory.createSchema()
                                .addType(SchemaType.OBJECT)
                                .addProperty("error", text("The detail again, for V2 clients"))
                                .required(List.of("error"))));
    }

    private static Schema text(String description) {
        return OASFactory.createSchema().addType(SchemaType.STRING).description(description);
    }
}
