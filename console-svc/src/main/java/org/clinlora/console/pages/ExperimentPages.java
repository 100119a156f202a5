package org.clinlora.console.pages;

import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.Authenticated;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.clinlora.console.ConsoleConfig;
import org.clinlora.model.data.CsvReader;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.failure.Unprocessable;
import org.clinlora.platform.store.BlobStore;

/**
 * Experiments ({@code ./clinlora experiment}): the list of those published to the bucket ({@code --publish}) and the
 * folders under {@code clinlora.console.experiments-root}; one experiment's {@code results.csv} table and SVG figures,
 * published ({@code /experiments/NAME}), from a folder ({@code ?dir=NAME}) or from a bucket prefix where an output
 * folder was copied ({@code ?prefix=P/}), read only through {@link ExperimentSource}.
 */
@Path("/")
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
    @Path("experiments")
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance show(@QueryParam("dir") String dir, @QueryParam("prefix") String prefix)
            throws IOException {
        TemplateInstance t = page(dir, prefix);
        if (dir == null && prefix == null)
            return t.data("table", null).data("figures", List.of()).data("source", null);
        String query = dir != null
                ? "dir=" + URLEncoder.encode(dir, StandardCharsets.UTF_8)
                : "prefix=" + URLEncoder.encode(prefix, StandardCharsets.UTF_8);
        return results(t, source(dir, prefix), f -> "/experiment-figures?" + query + "&file=" + f);
    }

    /** A published experiment, by name: the same page as a folder's. */
    @GET
    @Path("experiments/{name}")
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance published(@PathParam("name") String name) throws IOException {
        ExperimentSource.Published src = ExperimentSource.Published.of(name, store);
        return results(page(null, null), src, f -> "/experiments/" + name + "/" + f)
                .data("manifest", src.manifest());
    }

    @GET
    @Path("experiments/{name}/figures/{file}")
    @Produces("image/svg+xml")
    public Response publishedFigure(@PathParam("name") String name, @PathParam("file") String file) {
        return svg(ExperimentSource.Published.of(name, store), "figures/" + file);
    }

    /** A folder's figure. Not under /experiments/: an experiment may be published as "figure". */
    @GET
    @Path("experiment-figures")
    @Produces("image/svg+xml")
    public Response figure(
            @QueryParam("dir") String dir, @QueryParam("prefix") String prefix, @QueryParam("file") String file)
            throws IOException {
        return svg(source(dir, prefix), file);
    }

    private static Response svg(ExperimentSource src, String file) {
        if (file == null || !ExperimentSource.FIGURE.matcher(file).matches())
            throw new InvalidRequest("a figure is an .svg file of the experiment");
        String svg;
        try {
            svg = src.read(file).orElseThrow(() -> new NotFound("no figure " + file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // Shown through <img>, where an SVG's scripts never run; the CSP keeps it so if opened directly.
        return Response.ok(svg)
                .header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
                .build();
    }

    /** The page's lists: the published experiments and the local folders. */
    private TemplateInstance page(String dir, String prefix) throws IOException {
        return experiments
                .data("user", session.user())
                .data("published", ExperimentSource.published(store))
                .data("folders", ExperimentSource.folders(config.experimentsRoot()))
                .data("dir", dir)
                .data("prefix", prefix)
                .data("manifest", null);
    }

    /** {@code src}'s results table and figures, each figure at the URL {@code figureUrl} makes of its file name. */
    private static TemplateInstance results(
            TemplateInstance t, ExperimentSource src, Function<String, String> figureUrl) throws IOException {
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
        return t.data("source", src.describe())
                .data("header", header)
                .data("table", rows)
                .data("figures", src.figures().stream().map(figureUrl).toList());
    }

    private ExperimentSource source(String dir, String prefix) {
        return ExperimentSource.of(dir, prefix, config.experimentsRoot(), store);
    }
}
