package org.clinlora.scorer.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * The JSON objects of the Open Inference Protocol's REST API (KServe V2), named and shaped as its specification names
 * them ({@code $metadata_server_response}, {@code $inference_request}, …), so a client written against the protocol
 * reads and writes them without knowing this scorer. Optional members are left out when absent, as the specification's
 * {@code #optional} allows. Error answers are not here: they are the platform's problem bodies, which carry the
 * protocol's {@code error} member under {@code /v2/}.
 */
public final class OpenInference {
    private OpenInference() {}

    /** {@code $metadata_server_response}: {@code GET /v2}. */
    public record ServerMetadata(String name, String version, List<String> extensions) {}

    /** {@code $live_server_response}: {@code GET /v2/health/live}. */
    public record ServerLive(boolean live) {}

    /** {@code $ready_server_response}: {@code GET /v2/health/ready}. */
    public record ServerReady(boolean ready) {}

    /** {@code $ready_model_response}: {@code GET /v2/models/{name}[/versions/{version}]/ready}. */
    public record ModelReady(String name, boolean ready) {}

    /** {@code $metadata_tensor}: a tensor's name, datatype and shape, -1 for a variable-size dimension. */
    public record TensorMetadata(String name, String datatype, List<Long> shape) {}

    /** {@code $metadata_model_response}: {@code GET /v2/models/{name}[/versions/{version}]}. */
    public record ModelMetadata(
            String name,
            List<String> versions,
            String platform,
            List<TensorMetadata> inputs,
            List<TensorMetadata> outputs) {}

    /**
     * {@code $request_input}: {@code data} is flat or nested as the shape (the protocol allows both); a parameter value
     * is a string, a number or a boolean.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RequestInput(
            String name, List<Long> shape, String datatype, Map<String, Object> parameters, List<Object> data) {}

    /** {@code $request_output}: an output the client wants; the others are not returned. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RequestOutput(String name, Map<String, Object> parameters) {}

    /** {@code $inference_request}: {@code id} is echoed in the response. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record InferRequest(
            String id, Map<String, Object> parameters, List<RequestInput> inputs, List<RequestOutput> outputs) {}

    /** {@code $response_output}: {@code data} flat, in row-major order. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ResponseOutput(
            String name, List<Long> shape, String datatype, Map<String, Object> parameters, List<Object> data) {}

    /** {@code $inference_response}: {@code id} only when the request had one. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record InferResponse(
            String model_name,
            String model_version,
            String id,
            Map<String, Object> parameters,
            List<ResponseOutput> outputs) {}
}
