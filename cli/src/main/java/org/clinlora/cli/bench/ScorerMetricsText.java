package org.clinlora.cli.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;

/** A service's Prometheus metrics ({@code /q/metrics}) as name (with its labels, when it has any) to value. */
final class ScorerMetricsText {
    private ScorerMetricsText() {}

    static Map<String, Double> read(HttpClient http, String url) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(url + "/q/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IllegalStateException(url + "/q/metrics answered " + r.statusCode());
        return parse(r.body());
    }

    /** {@code name{labels} value} lines; comments and unparsable values are skipped. */
    static Map<String, Double> parse(String text) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            int space = line.lastIndexOf(' ');
            if (space < 0) continue;
            try {
                out.put(
                        line.substring(0, space).trim(),
                        Double.parseDouble(line.substring(space + 1).trim()));
            } catch (NumberFormatException e) {
                // a value Prometheus allows but we do not read (none of ours)
            }
        }
        return out;
    }
}
