package org.clinlora.console.pages;

import static org.clinlora.console.backend.ServiceCalls.Service.REGISTRY;
import static org.clinlora.console.backend.ServiceCalls.encode;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.Authenticated;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.clinlora.console.backend.ServiceCalls;
import org.clinlora.platform.failure.InvalidRequest;

/**
 * A version's artifacts, as a model registry shows them: its files with their sizes and sha256 (from the card the
 * registry wrote when it verified them), its lineage from the base model through every parent down to it, and each file
 * to download — streamed through the console with the user's own token, so the registry applies its rules and verifies
 * the bytes, and the console never holds a file whole.
 */
@Path("/registry/{name}/{version: [0-9]{1,9}}")
@Authenticated
public class VersionPages {
    /** A file name as registry cards hold them: one path segment, nothing hidden. */
    static final Pattern FILE = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}");

    private final ServiceCalls calls;
    private final SignedInUser session;
    private final Template version;

    public VersionPages(ServiceCalls calls, SignedInUser session, Template version) {
        this.calls = calls;
        this.session = session;
        this.version = version;
    }

    @GET
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance page(@PathParam("name") String name, @PathParam("version") int number) {
        RegistryPages.requireName(name);
        JsonNode resolved = calls.require(
                calls.get(REGISTRY, "/v1/adapters/" + encode(name) + "/resolve/" + number, session.bearer()));
        JsonNode card = resolved.path("card");
        List<Map<String, Object>> files = new ArrayList<>();
        long total = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = card.path("files").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            Map<String, Object> row = new LinkedHashMap<>();
            long size = f.getValue().path("size").asLong();
            row.put("name", f.getKey());
            row.put("bytes", size);
            row.put("readable", readable(size));
            row.put("sha256", f.getValue().path("sha256").asText());
            row.put("href", "/registry/" + encode(name) + "/" + number + "/files/" + encode(f.getKey()));
            files.add(row);
            total += size;
        }
        return version.data("user", session.user())
                .data("name", name)
                .data("number", number)
                .data("card", PageData.map(card))
                .data("files", files)
                .data("totalSize", readable(total))
                .data("lineage", PageData.list(resolved.path("lineage")))
                .data("evaluation", card.path("files").has(EvaluationPages.FILE));
    }

    /**
     * One file of the version, streamed as the registry sends it (after it checked the sha256 the card recorded), with
     * its size and sha256 so the browser or a script can check it again.
     */
    @GET
    @Path("files/{file}")
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    public Response file(
            @PathParam("name") String name, @PathParam("version") int number, @PathParam("file") String file) {
        RegistryPages.requireName(name);
        if (file == null || !FILE.matcher(file).matches())
            throw new InvalidRequest("file: one file name of the version, as its page lists them");
        ServiceCalls.Download download = calls.download(
                REGISTRY,
                "/v1/adapters/" + encode(name) + "/versions/" + number + "/files/" + encode(file),
                session.bearer());
        StreamingOutput body = out -> {
            try (download) {
                download.body().transferTo(out);
            }
        };
        Response.ResponseBuilder r = Response.ok(body, MediaType.APPLICATION_OCTET_STREAM_TYPE)
                .header("Content-Disposition", "attachment; filename=\"" + file + "\"");
        for (String h : List.of("Content-Length", "X-Checksum-Sha256")) {
            String v = download.header(h);
            if (v != null) r.header(h, v);
        }
        return r.build();
    }

    /** Bytes as a person reads them: 512 B, 16.8 MB, 13.5 GB (powers of 1000, as files are sold). */
    static String readable(long bytes) {
        if (bytes < 1000) return bytes + " B";
        String[] units = {"kB", "MB", "GB", "TB"};
        double v = bytes;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
