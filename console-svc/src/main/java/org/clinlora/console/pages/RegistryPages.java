package org.clinlora.console.pages;

import static org.clinlora.console.backend.ServiceCalls.Service.REGISTRY;
import static org.clinlora.console.backend.ServiceCalls.encode;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.Authenticated;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.clinlora.console.backend.ServiceCalls;
import org.clinlora.platform.auth.Roles;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.store.StoreLayout;

/**
 * The registry browser: versions searched across adapters (registry-svc's {@code GET /v1/versions}), adapters and their
 * versions with cards, the lineage graph of the versions the search selects (base → clinical → downstream), aliases
 * with their history, and promoting or rolling back an alias by compare-and-set — the form carries the version the user
 * saw, so a move by someone else in between is the registry's 409, shown on the page.
 */
@Path("/registry")
@Authenticated
@Produces(MediaType.TEXT_HTML)
public class RegistryPages {
    private final ServiceCalls calls;
    private final SignedInUser session;
    private final Template registry;
    private final Template adapter;

    public RegistryPages(ServiceCalls calls, SignedInUser session, Template registry, Template adapter) {
        this.calls = calls;
        this.session = session;
        this.registry = registry;
        this.adapter = adapter;
    }

    /** One adapter name as the list shows it: its versions' cards and its aliases. */
    record AdapterSummary(String name, List<Map<String, Object>> versions, List<Map<String, Object>> aliases) {}

    /** What the registry page searches versions by: registry-svc's {@code GET /v1/versions} parameters. */
    static final List<String> SEARCH =
            List.of("q", "name", "task", "base", "parent", "since", "until", "sort", "order");

    /**
     * The lineage graph and every adapter with its aliases, and the versions a search finds (newest first without one),
     * paged by registry-svc.
     */
    @GET
    public TemplateInstance list(@Context UriInfo uri) {
        String token = session.bearer();
        SearchForm form = SearchForm.of(uri.getQueryParameters(), SEARCH, 50);
        JsonNode found = calls.require(calls.get(REGISTRY, "/v1/versions" + form.serviceQuery(), token));
        RegistryView view = RegistryView.read(calls, token, true);
        List<AdapterSummary> adapters = new ArrayList<>();
        view.versions()
                .forEach((name, versions) -> adapters.add(new AdapterSummary(
                        name, maps(versions), maps(view.aliases().get(name)))));
        List<Map<String, Object>> versions = new ArrayList<>();
        for (JsonNode c : found.path("versions")) {
            Map<String, Object> row = new LinkedHashMap<>(PageData.map(c));
            JsonNode auroc = c.path("metrics").path("test.macro_auroc");
            if (auroc.isNumber()) row.put("testAuroc", auroc.asDouble());
            versions.add(row);
        }
        JsonNode next = found.path("nextOffset");
        return registry.data("user", session.user())
                .data("adapters", adapters)
                .data("versions", versions)
                .data("form", form.fields())
                .data("total", found.path("total").asInt(versions.size()))
                .data("from", versions.isEmpty() ? 0 : form.offset() + 1)
                .data("to", form.offset() + versions.size())
                .data("next", next.isNumber() ? form.at("/registry", next.asInt()) : null)
                .data(
                        "previous",
                        form.offset() > 0 ? form.at("/registry", Math.max(0, form.offset() - form.limit())) : null)
                .data("graph", LineageGraph.of(view.cards(), form.filtered() ? selected(form, token) : null));
    }

    /** Every version the search selects, not only this page's: registry-svc's pages of at most 500, read through. */
    private Set<String> selected(SearchForm form, String token) {
        Set<String> out = new LinkedHashSet<>();
        Integer offset = 0;
        while (offset != null) {
            JsonNode page = calls.require(calls.get(REGISTRY, "/v1/versions" + form.serviceQuery(offset, 500), token));
            for (JsonNode c : page.path("versions"))
                out.add(c.path("name").asText() + "@" + c.path("version").asInt());
            offset =
                    page.path("nextOffset").isNumber() ? page.path("nextOffset").asInt() : null;
        }
        return out;
    }

    @GET
    @Path("/{name}")
    public TemplateInstance show(
            @PathParam("name") String name, @QueryParam("moved") String moved, @QueryParam("refused") String refused) {
        return adapterPage(name, moved == null ? null : "Alias '" + moved + "' moved.", refused);
    }

    /**
     * Promote or roll back: PUT the alias with the version the user saw as expectedVersion (absent for a new alias).
     */
    @POST
    @Path("/{name}/aliases")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response moveAlias(
            @PathParam("name") String name,
            @FormParam("alias") String alias,
            @FormParam("version") Integer version,
            @FormParam("expectedVersion") Integer expectedVersion) {
        requireName(name);
        try {
            StoreLayout.requireAlias(alias);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequest("alias: " + e.getMessage());
        }
        if (version == null || version < 1) throw new InvalidRequest("choose a version");
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("version", version);
        if (expectedVersion != null) body.put("expectedVersion", expectedVersion);
        ServiceCalls.Reply r = calls.send(
                REGISTRY,
                "PUT",
                "/v1/adapters/" + encode(name) + "/aliases/" + encode(alias),
                body,
                session.bearer(),
                Duration.ofSeconds(30));
        // Post/redirect/get: the answer is the adapter's page as it is now, with what happened to the move.
        if (r.ok())
            return Response.seeOther(URI.create("/registry/" + encode(name) + "?moved=" + encode(alias)))
                    .build();
        String why = r.status() == 409
                ? "409 Conflict: alias '" + alias + "' was moved by someone else since this page was loaded ("
                        + r.message() + "). Nothing was changed; the page now shows where it points."
                : r.status() + ": the registry refused the move (" + r.message() + ").";
        return Response.seeOther(URI.create("/registry/" + encode(name) + "?refused=" + encode(why)))
                .build();
    }

    private TemplateInstance adapterPage(String name, String notice, String refused) {
        requireName(name);
        String token = session.bearer();
        JsonNode versions = calls.require(calls.get(REGISTRY, "/v1/adapters/" + encode(name) + "/versions", token));
        JsonNode aliases = calls.require(calls.get(REGISTRY, "/v1/adapters/" + encode(name) + "/aliases", token));
        // The whole lineage needs the other adapters' cards too (the parents, the children).
        List<JsonNode> cards = RegistryView.read(calls, token, false).cards();
        List<Map<String, Object>> vs = maps(versions);
        Collections.reverse(vs); // newest first
        return adapter.data("user", session.user())
                .data("name", name)
                .data("versions", vs)
                .data("aliases", maps(aliases))
                .data("canMove", session.user().has(Roles.REGISTRY_ADMIN))
                .data("notice", notice)
                .data("conflict", refused)
                .data("graph", LineageGraph.of(cards, LineageGraph.family(cards, name)));
    }

    private static List<Map<String, Object>> maps(JsonNode array) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (JsonNode n : array) out.add(PageData.map(n));
        return out;
    }

    static void requireName(String name) {
        try {
            StoreLayout.requireName(name);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequest("adapter name: " + e.getMessage());
        }
    }
}
