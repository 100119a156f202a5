package org.clinlora.console.pages;

import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.Authenticated;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.clinlora.console.ConsoleConfig;
import org.clinlora.model.data.CsvReader;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.failure.Unprocessable;
import org.clinlora.platform.store.BlobStore;

/**
 * An experiment's results ({@code ./clinlora experiment}): the table of {@code results.csv} and its SVG figures, from a
 * folder under {@code clinlora.console.experiments-root} ({@code ?dir=NAME}) or a bucket prefix ({@code ?prefix=P/},
 * where an experiment's output folder was copied), read only through {@link ExperimentSource}.
 */
@Path("/experiments")
@Authenticated
public class ExperimentPages {
    private final ConsoleConfig config;
    private final BlobStore store;
    private final SignedInUser session;
    private final Template experiments;

    public ExperimentPages(ConsoleConfig config, BlobStore store, SignedInUser session, Template experiments) {
        this.config = config;
        this.store = store;
        this.session = session;
        this.experiments = experiments;
    }

    @GET
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance show(@QueryParam("dir") String dir, @QueryParam("prefix") String prefix)
            throws IOException {
        TemplateInstance t = experiments
                .data("user", session.user())
                .data("folders", ExperimentSource.folders(config.experimentsRoot()))
                .data("dir", dir)
                .data("prefix", prefix);
        if (dir == null && prefix == null)
            return t.data("table", null).data("figures", List.of()).data("source", null);
        ExperimentSource src = source(dir, prefix);
        String csv = src.read("results.csv").orElseThrow(() -> new NotFound("no results.csv in " + src.describe()));
        List<String> header;
        List<List<String>> rows = new ArrayList<>();
        try (CsvReader r = CsvReader.of(
                "results.csv",
                new ByteArrayInputStream(csv.getBytes(StandardCharsets.UTF_8)),
                CsvReader.OnMalformed.FAIL)) {
            header = r.header();
            while (r.hasNext()) {
                CsvReader.Row row = r.next();
                rows.add(header.stream().map(row::get).toList());
            }
        } catch (CsvReader.CsvException e) {
            throw new Unprocessable(
                    "bad_results", "results.csv in " + src.describe() + " is not a valid CSV: " + e.getMessage());
        }
        List<String> figures = src.figures();
        String query = dir != null
                ? "dir=" + URLEncoder.encode(dir, StandardCharsets.UTF_8)
                : "prefix=" + URLEncoder.encode(prefix, StandardCharsets.UTF_8);
        return t.data("source", src.describe())
                .data("header", header)
                .data("table", rows)
                .data(
                        "figures",
                        figures.stream()
                                .map(f -> "/experiments/figure?" + query + "&file=" + f)
                                .toList());
    }

    @GET
    @Path("/figure")
    @Produces("image/svg+xml")
    public Response figure(
            @QueryParam("dir") String dir, @QueryParam("prefix") String prefix, @QueryParam("file") String file)
            throws IOException {
        if (file == null || !ExperimentSource.FIGURE.matcher(file).matches())
            throw new InvalidRequest("a figure is an .svg file of the experiment");
        ExperimentSource src = source(dir, prefix);
        String svg = src.read(file).orElseThrow(() -> new NotFound("no figure " + file));
        // Shown through <img>, where an SVG's scripts never run; the CSP keeps it so if opened directly.
        return Response.ok(svg)
                .header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
                .build();
    }

    private ExperimentSource source(String dir, String prefix) {
        return ExperimentSource.of(dir, prefix, config.experimentsRoot(), store);
    }
}
