package org.clinlora.console.pages;

import static org.clinlora.console.backend.ServiceCalls.Service.TOKENIZER;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.Authenticated;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.clinlora.console.backend.ServiceCalls;

/** Dataset builds from tokenizer-svc with their progress; the page reloads itself while any build is unfinished. */
@Path("/datasets")
@Authenticated
@Produces(MediaType.TEXT_HTML)
public class DatasetPages {
    private final ServiceCalls calls;
    private final SignedInUser session;
    private final Template datasets;

    public DatasetPages(ServiceCalls calls, SignedInUser session, Template datasets) {
        this.calls = calls;
        this.session = session;
        this.datasets = datasets;
    }

    @GET
    public TemplateInstance list() {
        JsonNode all = calls.require(calls.get(TOKENIZER, "/v1/datasets?limit=200", session.bearer()));
        List<Map<String, Object>> rows = new ArrayList<>();
        boolean building = false;
        for (JsonNode d : all) {
            Map<String, Object> row = new LinkedHashMap<>(PageData.map(d));
            JsonNode fraction = d.path("progress").path("fraction");
            row.put("percent", fraction.isNumber() ? Math.round(fraction.asDouble() * 100) : null);
            rows.add(row);
            String s = d.path("status").asText();
            building |= !s.equals("ready") && !s.equals("failed");
        }
        return datasets.data("user", session.user()).data("datasets", rows).data("building", building);
    }
}
