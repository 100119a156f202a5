package org.clinlora.scorer.api;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.CharConversionException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.clinlora.platform.api.FailureMappers;
import org.clinlora.platform.failure.Failure;
import org.clinlora.scorer.api.OpenInference.InferRequest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile Open Inference (KServe V2) request bodies, decoded as {@code POST /v2/models/{name}/infer} decodes them: the
 * JSON body into an {@link InferRequest} by Jackson as Quarkus configures it, then {@link InferRequestReader}. Each
 * failure is given the status the services' exception mappers give it (platform/…/api); a body may be refused with any
 * 4xx, never a 5xx. HostileInferRequestTest sends the nastiest of them through the running service.
 */
class InferRequestFuzzTest {
    /** Quarkus's defaults: unknown members are ignored, and the JDK and parameter-name modules are on. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .findAndAddModules()
            .build();

    static Stream<byte[]> seeds() {
        return Stream.of(
                        "{\"id\":\"r-1\",\"inputs\":[{\"name\":\"note\",\"shape\":[2],\"datatype\":\"BYTES\","
                                + "\"data\":[\"Chief complaint: chest pain.\",\"Afebrile.\"]}]}",
                        "{\"parameters\":{\"priority\":1},\"inputs\":[{\"name\":\"note\",\"shape\":[1,1],"
                                + "\"datatype\":\"BYTES\",\"parameters\":{\"x\":true},\"data\":[[\"Stable.\"]]}],"
                                + "\"outputs\":[{\"name\":\"labels\"},{\"name\":\"probabilities\",\"parameters\":{}}]}",
                        "{\"inputs\":[{\"name\":\"note\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1.5]}]}")
                .map(s -> s.getBytes(StandardCharsets.UTF_8));
    }

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "5s")
    void inferRequestBody(byte[] body) {
        int status = status(body);
        if (status >= 500) throw new AssertionError("a request body answered " + status);
    }

    /** The status this body gets before anything is resolved or scored: 200 when it would go on to be scored. */
    static int status(byte[] body) {
        try {
            InferRequestReader.read(JSON.readValue(body, InferRequest.class));
            return 200;
        } catch (JsonProcessingException e) {
            return 400; // FrameworkErrorMappers: JsonProcessing, JsonParse, MismatchedInput, …
        } catch (CharConversionException e) {
            return 400; // FrameworkErrorMappers.Unexpected, for a body read as UTF-32 that is not
        } catch (Failure f) {
            return FailureMappers.status(f);
        } catch (IllegalArgumentException e) {
            return 400; // FrameworkErrorMappers.BadArgument
        } catch (IOException | RuntimeException e) {
            throw new AssertionError("a 500 (internal error)", e);
        }
    }
}
