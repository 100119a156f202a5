package org.clinlora.registry.api;

import io.quarkus.security.Authenticated;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.clinlora.platform.search.PageWindow;
import org.clinlora.registry.versions.VersionPage;
import org.clinlora.registry.versions.VersionQuery;
import org.clinlora.registry.versions.VersionSearch;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Versions searched across every adapter ({@code /v1/adapters} lists names and one adapter's versions): what a registry
 * browser's search box and filters ask for. Reading needs a valid token and no role, as every read of the registry.
 */
@Path("/v1/versions")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "adapters", description = "Versioned PEFT LoRA adapters with aliases and lineage")
@Authenticated
public class VersionsResource {
    private final VersionSearch versions;

    public VersionsResource(VersionSearch versions) {
        this.versions = versions;
    }

    @GET
    @Operation(
            summary = "Search versions across adapters, paged",
            description = "Every parameter is optional. q: words in a version's names (name@version, task, base model, "
                    + "parent, datasets, labels, training job, publisher; case-insensitive); name (adapter), task, base "
                    + "(model id), parent (name@version): exact; since / until: the publication time, a day "
                    + "(2026-03-01, UTC, until includes it) or an ISO-8601 instant; sort: createdAt (default), name, "
                    + "version, task, baseModel or metrics.<name> (e.g. metrics.test.macro_auroc; versions without it "
                    + "last); order: desc (default) or asc; offset (0) and limit (50, at most 500). The answer's "
                    + "nextOffset is the next page's offset, null on the last page.")
    @APIResponse(
            responseCode = "200",
            description = "A page of version cards, the total that matched and the next page's offset",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = VersionPage.class)))
    @APIResponse(
            responseCode = "400",
            description = "A parameter not understood: a name or parent that is not one, an unknown sort field or "
                    + "order, a date that is not ISO-8601, since not before until, offset or limit out of range")
    public VersionPage search(
            @QueryParam("q") String q,
            @QueryParam("name") String name,
            @QueryParam("task") String task,
            @QueryParam("base") String base,
            @QueryParam("parent") String parent,
            @QueryParam("since") String since,
            @QueryParam("until") String until,
            @QueryParam("sort") String sort,
            @QueryParam("order") String order,
            @QueryParam("offset") String offset,
            @QueryParam("limit") String limit) {
        VersionQuery query = VersionQuery.parse(q, name, task, base, parent, since, until, sort, order);
        return versions.search(query, PageWindow.parse(offset, limit, 50, 500));
    }
}
