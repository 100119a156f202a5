package org.clinlora.scorer.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * V2 request bodies the fuzzer (InferRequestFuzzTest) found answered with a 500, decoded as the endpoint decodes them
 * (no service needed; HostileInferRequestTest sends them through the running scorer).
 */
class InferRequestDecodingTest {
    /**
     * The fuzzer's input: its second output's "name" member misspelt, so the output has no name, and
     * {@code List.of(..).contains(null)} threw a NullPointerException.
     */
    @Test
    void anOutputWithoutANameIsA400() {
        byte[] found = Base64.getDecoder()
                .decode("eyJwYXJhbWV0ZXJzIjp7InByaW9yaXR5IjoxfSwiaW5wdXRzIjpbeyJuYW1lIjoibm90ZSIsInNoYXBlIjpbMSwxXS"
                        + "wiZGF0YXR5cGUiOiJCWVRFUyIsInBhcmFtZXRlcnMiOnsieCI6dHJ1ZX0sImRhdGEiOltbIlN0YWJsZS4iXV19XSwi"
                        + "b3V0cHV0cyI6W3sibmFtZSI6ImxhYmVscyJ9LHsibmBtZSI6InByb2JhYmlsaXRpZXMiLCJwYXJhbWV0ZXJzIjp7fX"
                        + "1dfQ==");
        assertEquals(400, InferRequestFuzzTest.status(found));
        assertEquals(
                400,
                InferRequestFuzzTest.status(
                        "{\"inputs\":[{\"name\":\"note\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"x\"]}],"
                                .concat("\"outputs\":[{}]}")
                                .getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aWellFormedRequestGoesOnToBeScored() {
        assertEquals(
                200,
                InferRequestFuzzTest.status(
                        "{\"inputs\":[{\"name\":\"note\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"x\"]}]}"
                                .getBytes(StandardCharsets.UTF_8)));
    }
}
