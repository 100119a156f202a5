package org.clinlora.cli.client;

import java.nio.charset.StandardCharsets;
import org.clinlora.platform.api.Problem;

/**
 * What the command line prints when a service refuses a call: the problem's detail (RFC 9457; the error shape before it
 * is read too) and its trace id, the handle an operator needs to find the request in the service's logs and traces.
 */
public final class Refusals {
    private Refusals() {}

    public static String describe(int status, String body) {
        Problem p = Problem.read(status, body);
        String said = p.message().isEmpty() ? "HTTP " + status : p.message();
        return p.traceId() == null ? said : said + " (trace " + p.traceId() + ")";
    }

    public static String describe(int status, byte[] body) {
        return describe(status, body == null ? "" : new String(body, StandardCharsets.UTF_8));
    }
}
