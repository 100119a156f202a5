package org.clinlora.registry.api;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.security.Authenticated;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.List;
import org.clinlora.platform.auth.Roles;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.registry.PublishRequest;
import org.clinlora.registry.versions.AliasLog;
import org.clinlora.registry.versions.AliasLog.AliasState;
import org.clinlora.registry.versions.VersionCatalog;
import org.clinlora.registry.versions.VersionCatalog.Resolved;
import org.clinlora.registry.versions.VersionDeletion;
import org.clinlora.registry.versions.VersionPublisher;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.multipart.FileUpload;

@Path("/v1/adapters")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "adapters", description = "Versioned PEFT LoRA adapters with aliases and lineage")
@Authenticated
public class AdaptersResource {
    private static final ObjectMapper JSON =
            new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final VersionCatalog catalog;
    private final VersionPublisher publisher;
    private final AliasLog aliases;
    private final VersionDeletion deletion;
    private final Caller caller;

    public AdaptersResource(
            VersionCatalog catalog,
            VersionPublisher publisher,
            AliasLog aliases,
            VersionDeletion deletion,
            Caller caller) {
        this.catalog = catalog;
        this.publisher = publisher;
        this.aliases = aliases;
        this.deletion = deletion;
        this.caller = caller;
    }

    public record NamePage(List<String> names, Integer nextOffset) {}

    /** {@code movedBy} is read only to refuse a body naming someone other than the token's subject. */
    public record AliasMove(Integer version, Integer expectedVersion, String movedBy) {}

    public record PresignedUrl(String url, String sha256, long size, int expiresInSeconds) {}

    @GET
    @Operation(summary = "List adapter names, paged")
    @APIResponse(responseCode = "200", description = "A page of names")
    @APIResponse(responseCode = "400", description = "offset or limit out of range")
    public NamePage names(
            @QueryParam("offset") @DefaultValue("0") int offset, @QueryParam("limit") @DefaultValue("100") int limit) {
        if (offset < 0 || limit < 1 || limit > 1000)
            throw new InvalidRequest("need offset >= 0 and 1 <= limit <= 1000");
        List<String> page = catalog.names(offset, limit + 1);
        boolean more = page.size() > limit;
        return new NamePage(more ? page.subList(0, limit) : page, more ? offset + limit : null);
    }

    @POST
    @Path("/{name}/versions")
    @RolesAllowed(Roles.PUBLISHER)
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Operation(
            summary = "Publish a new version",
            description =
                    "Multipart parts: adapter_config.json and adapter_model.safetensors (files, as PEFT writes them), "
                            + "optionally README.md, and 'card' (JSON: task, labelNames, problemType, noteEncoding, baseModelId, parent, datasetIds, "
                            + "trainingConfig, metrics). The version becomes visible only once every file is stored and verified. "
                            + "publishedBy is the bearer token's subject; a card naming anyone else is 400.")
    @APIResponse(
            responseCode = "201",
            description = "The version, published",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = AdapterCard.class)))
    @APIResponse(responseCode = "404", description = "The card's parent is no such version or alias")
    @APIResponse(responseCode = "409", description = "The parent was deleted meanwhile, or no version could be claimed")
    @APIResponse(
            responseCode = "422",
            description = "The files are not a PEFT LoRA adapter of the card's base model (reason invalid_adapter, "
                    + "no_base_model, wrong_base_model, …)")
    public Response publish(
            @PathParam("name") String name,
            @RestForm("card") String card,
            @RestForm(FileUpload.ALL) List<FileUpload> uploads) {
        // var: the files' type is java.nio's Path, whose simple name here is JAX-RS's @Path
        var files = Uploads.byName(uploads);
        PublishRequest req = parseCard(card);
        String who = caller.claimed("card.publishedBy", req.publishedBy());
        AdapterCard published = publisher.publish(name, files, req, who);
        return Response.status(201).entity(published).build();
    }

    public record PublishFromStore(String sourcePrefix, PublishRequest card) {}

    @POST
    @Path("/{name}/versions/from-store")
    @RolesAllowed(Roles.PUBLISHER)
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(
            summary = "Publish a new version from PEFT files already in the bucket",
            description =
                    "Body: {sourcePrefix: 'jobs/<id>/adapter/', card: {...}}. The files are validated and copied into a new "
                            + "immutable version; the source objects are left as they are.")
    @APIResponse(
            responseCode = "201",
            description = "The version, published",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = AdapterCard.class)))
    @APIResponse(responseCode = "404", description = "No objects under sourcePrefix, or no such parent")
    @APIResponse(responseCode = "409", description = "The parent was deleted meanwhile, or no version could be claimed")
    @APIResponse(
            responseCode = "422",
            description = "The files are not a PEFT LoRA adapter of the card's base model (reason invalid_adapter, "
                    + "no_base_model, wrong_base_model, …)")
    public Response publishFromStore(@PathParam("name") String name, PublishFromStore body) {
        if (body == null) throw new InvalidRequest("body with sourcePrefix and card is required");
        String who = caller.claimed(
                "card.publishedBy", body.card() == null ? null : body.card().publishedBy());
        return Response.status(201)
                .entity(publisher.publishFromStore(name, body.sourcePrefix(), body.card(), who))
                .build();
    }

    private static PublishRequest parseCard(String card) {
        if (card == null || card.isBlank()) throw new InvalidRequest("the 'card' part is required");
        try {
            return JSON.readValue(card, PublishRequest.class);
        } catch (IOException e) {
            throw new InvalidRequest("the 'card' part is not valid JSON for a card: "
                    + e.getClass().getSimpleName());
        }
    }

    @GET
    @Path("/{name}/versions")
    @Operation(summary = "Visible versions of an adapter, oldest first")
    @APIResponse(responseCode = "200", description = "The versions; none for a name never published")
    @APIResponse(responseCode = "400", description = "Not a valid adapter name")
    public List<AdapterCard> versions(@PathParam("name") String name) {
        return catalog.versions(name);
    }

    @GET
    @Path("/{name}/versions/{version}")
    @Operation(summary = "The card of one version")
    @APIResponse(responseCode = "200", description = "The card")
    @APIResponse(responseCode = "400", description = "Not a valid adapter name")
    @APIResponse(responseCode = "404", description = "No such version (or a version that is not a number)")
    public AdapterCard card(@PathParam("name") String name, @PathParam("version") int version) {
        return catalog.card(name, version);
    }

    @GET
    @Path("/{name}/versions/{version}/files/{file}")
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    @Operation(summary = "Download a file, verified against its sha256 before any byte is sent")
    @APIResponse(
            responseCode = "200",
            description = "The file's bytes, with X-Checksum-Sha256",
            content = @Content(mediaType = MediaType.APPLICATION_OCTET_STREAM))
    @APIResponse(responseCode = "400", description = "Not a valid adapter name")
    @APIResponse(responseCode = "404", description = "No such version, or no such file in it")
    public Response download(
            @PathParam("name") String name, @PathParam("version") int version, @PathParam("file") String file) {
        VersionCatalog.Verified verified = catalog.fetchVerified(name, version, file);
        StreamingOutput body = out -> {
            try (InputStream in = Files.newInputStream(verified.file())) {
                in.transferTo(out);
            } finally {
                Files.deleteIfExists(verified.file());
            }
        };
        return Response.ok(body)
                .header("X-Checksum-Sha256", verified.entry().sha256())
                .header("Content-Length", verified.entry().size())
                .build();
    }

    @GET
    @Path("/{name}/versions/{version}/files/{file}/url")
    @Operation(summary = "A presigned GET URL for a file (verify the sha256 after downloading)")
    @APIResponse(responseCode = "200", description = "The URL, with the file's sha256 and size")
    @APIResponse(responseCode = "400", description = "Not a valid adapter name, or an expiry beyond 1 s to 7 days")
    @APIResponse(responseCode = "404", description = "No such version, or no such file in it")
    public PresignedUrl url(
            @PathParam("name") String name,
            @PathParam("version") int version,
            @PathParam("file") String file,
            @QueryParam("expires") @DefaultValue("300") int expires) {
        VersionCatalog.Presigned p = catalog.presignedUrl(name, version, file, expires);
        return new PresignedUrl(p.url(), p.entry().sha256(), p.entry().size(), expires);
    }

    @GET
    @Path("/{name}/resolve/{versionOrAlias}")
    @Operation(summary = "Resolve name@version or name@alias to a version and its lineage, parent first")
    @APIResponse(responseCode = "200", description = "The version and its lineage")
    @APIResponse(responseCode = "400", description = "Not a valid adapter name, version or alias")
    @APIResponse(responseCode = "404", description = "No such version or alias")
    @APIResponse(responseCode = "409", description = "A parent in the lineage is missing, or the lineage is too deep")
    public Resolved resolve(@PathParam("name") String name, @PathParam("versionOrAlias") String versionOrAlias) {
        return catalog.resolve(name, versionOrAlias);
    }

    @GET
    @Path("/{name}/aliases")
    @APIResponse(responseCode = "200", description = "The aliases; none for a name never published")
    @APIResponse(responseCode = "400", description = "Not a valid adapter name")
    public List<AliasState> aliases(@PathParam("name") String name) {
        return aliases.aliases(name);
    }

    @GET
    @Path("/{name}/aliases/{alias}")
    @Operation(summary = "Where an alias points, with its history")
    @APIResponse(responseCode = "200", description = "The alias")
    @APIResponse(responseCode = "400", description = "Not a valid adapter name or alias")
    @APIResponse(responseCode = "404", description = "No such alias")
    public AliasState alias(@PathParam("name") String name, @PathParam("alias") String alias) {
        return aliases.alias(name, alias)
                .orElseThrow(() -> new NotFound("adapter '" + name + "' has no alias '" + alias + "'"));
    }

    @PUT
    @Path("/{name}/aliases/{alias}")
    @RolesAllowed(Roles.REGISTRY_ADMIN)
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(
            summary = "Move an alias (compare-and-set)",
            description = "Body: {version, expectedVersion}. expectedVersion is where the alias points now "
                    + "(null or absent: it must not exist yet); a mismatch or a concurrent move is 409. movedBy is the "
                    + "bearer token's subject; a body naming anyone else is 400.")
    @APIResponse(responseCode = "200", description = "The alias, moved")
    @APIResponse(responseCode = "404", description = "No such version to point at")
    @APIResponse(
            responseCode = "409",
            description = "expectedVersion is not where the alias points, or it was moved concurrently")
    public AliasState moveAlias(@PathParam("name") String name, @PathParam("alias") String alias, AliasMove body) {
        if (body == null || body.version() == null) throw new InvalidRequest("body must give the target 'version'");
        String who = caller.claimed("movedBy", body.movedBy());
        return aliases.move(name, alias, body.version(), body.expectedVersion(), who);
    }

    @DELETE
    @Path("/{name}/versions/{version}")
    @RolesAllowed(Roles.REGISTRY_ADMIN)
    @Operation(summary = "Delete a version no alias points at and no other version names as parent")
    @APIResponse(responseCode = "204", description = "Deleted")
    @APIResponse(responseCode = "400", description = "Not a valid adapter name")
    @APIResponse(responseCode = "404", description = "No such version")
    @APIResponse(
            responseCode = "409",
            description = "An alias points at the version, or another version names it as parent")
    public Response delete(@PathParam("name") String name, @PathParam("version") int version) {
        deletion.delete(name, version, caller.subject());
        return Response.noContent().build();
    }
}
