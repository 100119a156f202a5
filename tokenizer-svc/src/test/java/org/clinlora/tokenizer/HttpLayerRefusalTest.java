package org.clinlora.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.clinlora.platform.api.ObservedStatuses;
import org.clinlora.platform.api.Problem;
import org.clinlora.testing.LocalInfraResource;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * A body declared larger than the service accepts is refused at the HTTP layer, before any resource runs: still a
 * problem (413 payload_too_large), and still an answer of the operation the contract check sees (TokenizerContractIT).
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class HttpLayerRefusalTest {

    @Test
    void aBodyDeclaredBeyondTheLimitIsA413ProblemAndIsRecordedForTheContract() throws IOException {
        Path observed = Path.of(ConfigProvider.getConfig().getValue(ObservedStatuses.PROPERTY, String.class));
        int before = lines(observed).size();

        // Declared, never sent: the answer comes before the body would.
        String response = exchange("POST /v1/tokenize HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Type: application/json\r\nContent-Length: 1099511627776\r\n\r\n");

        assertTrue(response.startsWith("HTTP/1.1 413"), response);
        assertTrue(response.contains("Content-Type: " + Problem.MEDIA_TYPE), response);
        assertTrue(response.contains("\"reason\":\"payload_too_large\""), response);
        List<String> after = lines(observed);
        assertEquals(List.of("POST /v1/tokenize 413"), after.subList(before, after.size()));
    }

    private static String exchange(String request) throws IOException {
        try (Socket s = new Socket(RestAssured.baseURI.replace("http://", ""), RestAssured.port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return readAnswer(s.getInputStream());
        }
    }

    /** The status line, headers and a Content-Length body (the connection may stay open: not read to its end). */
    private static String readAnswer(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) break;
            head.append((char) b);
        }
        int length = 0;
        for (String h : head.toString().split("\r\n"))
            if (h.toLowerCase().startsWith("content-length:"))
                length = Integer.parseInt(h.substring(15).trim());
        return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.exists(file) ? Files.readAllLines(file) : List.of();
    }
}
