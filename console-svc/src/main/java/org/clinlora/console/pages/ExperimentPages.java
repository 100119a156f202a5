package org.clinlora.console.pages;

import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.Authenticated;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.clinlora.console.ConsoleConfig;
import org.clinlora.model.data.CsvReader;
import org.clinlora.platform.api.ApiException;
import org.clinlora.platform.store.BlobStore;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * An experiment's results ({@code ./clinlora experiment}): the table of {@code results.csv} and its SVG figures, from a
 * folder under {@code clinlora.console.experiments-root} ({@code ?dir=NAME}) or a bucket prefix ({@code ?prefix=P/},
 * where an experiment's output folder was copied). Only those two places, and only files named as an experiment names
 * them: the page cannot be pointed at other files.
 */
@jakarta.ws.rs.Path("/experiments")
@Authenticated
public class ExperimentPages {
    private static final Pattern DIR = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    private static final Pattern PREFIX = Pattern.compile("([a-z0-9][a-z0-9._-]{0,99}/){1,8}");
    private static final Pattern FIGURE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}\\.svg");

    private final ConsoleConfig config;
    private final BlobStore store;
    private final JsonWebToken jwt;
    private final Template experiments;

    public ExperimentPages(ConsoleConfig config, BlobStore store, JsonWebToken jwt, Template experiments) {
        this.config = config;
        this.store = store;
        this.jwt = jwt;
        this.experiments = experiments;
    }

    @GET
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance show(@QueryParam("dir") String dir, @QueryParam("prefix") String prefix) throws IOException {
        TemplateInstance t = experiments.data("user", PageData.user(jwt)).data("folders", folders()).data("dir", dir).data("prefix", prefix);
        if (dir == null && prefix == null) return t.data("table", null).data("figures", List.of()).data("source", null);
        Source src = source(dir, prefix);
        String csv = src.read("results.csv").orElseThrow(() -> ApiException.notFound("no results.csv in " + src.describe()));
        List<String> header;
        List<List<String>> rows = new ArrayList<>();
        try (CsvReader r = CsvReader.of("results.csv", new java.io.ByteArrayInputStream(csv.getBytes(StandardCharsets.UTF_8)), CsvReader.OnMalformed.FAIL)) {
            header = r.header();
            while (r.hasNext()) {
                CsvReader.Row row = r.next();
                rows.add(header.stream().map(row::get).toList());
            }
        } catch (CsvReader.CsvException e) {
            throw ApiException.unprocessable("bad_results", "results.csv in " + src.describe() + " is not a valid CSV: " + e.getMessage());
        }
        List<String> figures = src.figures();
        String query = dir != null ? "dir=" + java.net.URLEncoder.encode(dir, StandardCharsets.UTF_8) : "prefix=" + java.net.URLEncoder.encode(prefix, StandardCharsets.UTF_8);
        return t.data("source", src.describe()).data("header", header).data("table", rows)
                .data("figures", figures.stream().map(f -> "/experiments/figure?" + query + "&file=" + f).toList());
    }

    @GET
    @jakarta.ws.rs.Path("/figure")
    @Produces("image/svg+xml")
    public Response figure(@QueryParam("dir") String dir, @QueryParam("prefix") String prefix, @QueryParam("file") String file) throws IOException {
        if (file == null || !FIGURE.matcher(file).matches()) throw ApiException.invalid("a figure is an .svg file of the experiment");
        Source src = source(dir, prefix);
        String svg = src.read(file).orElseThrow(() -> ApiException.notFound("no figure " + file));
        // Shown through <img>, where an SVG's scripts never run; the CSP keeps it so if opened directly.
        return Response.ok(svg).header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'").build();
    }

    private List<String> folders() throws IOException {
        Path root = config.experimentsRoot();
        if (!Files.isDirectory(root)) return List.of();
        try (var s = Files.list(root)) {
            return s.filter(p -> Files.isRegularFile(p.resolve("results.csv"))).map(p -> p.getFileName().toString())
                    .filter(n -> DIR.matcher(n).matches()).sorted().toList();
        }
    }

    private interface Source {
        Optional<String> read(String file) throws IOException;

        List<String> figures() throws IOException;

        String describe();
    }

    private Source source(String dir, String prefix) {
        if ((dir == null) == (prefix == null)) throw ApiException.invalid("give dir (a folder under the experiments root) or prefix (in the bucket), not both");
        if (dir != null) {
            if (!DIR.matcher(dir).matches()) throw ApiException.invalid("dir is one folder name under the experiments root");
            Path folder = config.experimentsRoot().resolve(dir);
            return new Source() {
                public Optional<String> read(String file) throws IOException {
                    Path f = folder.resolve(file);
                    return Files.isRegularFile(f) ? Optional.of(Files.readString(f, StandardCharsets.UTF_8)) : Optional.empty();
                }

                public List<String> figures() throws IOException {
                    if (!Files.isDirectory(folder)) return List.of();
                    try (var s = Files.list(folder)) {
                        return s.map(p -> p.getFileName().toString()).filter(n -> FIGURE.matcher(n).matches()).sorted().toList();
                    }
                }

                public String describe() {
                    return "folder '" + dir + "'";
                }
            };
        }
        if (!PREFIX.matcher(prefix).matches()) throw ApiException.invalid("prefix is a bucket folder such as experiments/synthetic/ (lower case, ending in /)");
        return new Source() {
            public Optional<String> read(String file) {
                return store.getBytes(prefix + file).map(b -> new String(b, StandardCharsets.UTF_8));
            }

            public List<String> figures() {
                return store.list(prefix).stream().map(k -> k.substring(prefix.length())).filter(n -> FIGURE.matcher(n).matches()).sorted().toList();
            }

            public String describe() {
                return "bucket prefix '" + prefix + "'";
            }
        };
    }
}
