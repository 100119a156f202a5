package org.clinlora.registry.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.security.Authenticated;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.File;
import java.util.List;
import java.util.Map;
import org.clinlora.platform.auth.Roles;
import org.clinlora.registry.models.ModelUploads;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Base models (Hugging Face LLaMA or BERT directories) in the store, pushed file by file: declare the files, send each
 * (in any order, again after an interruption), complete. A model exists once complete; trainer and scorer fetch it by
 * id.
 */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "models", description = "Base models: resumable pushes checked as loadable LLaMA checkpoints")
@Authenticated
public class ModelsResource {
    private final ModelUploads uploads;

    public ModelsResource(ModelUploads uploads) {
        this.uploads = uploads;
    }

    public record Declaration(Map<String, ModelUploads.DeclaredFile> files) {}

    @GET
    public List<String> ids() {
        return uploads.ids();
    }

    @GET
    @Path("/{id}")
    @APIResponse(responseCode = "200", description = "The model's manifest with its config.json")
    @APIResponse(responseCode = "400", description = "Not a valid model id")
    @APIResponse(responseCode = "404", description = "No such model")
    public JsonNode show(@PathParam("id") String id) {
        return uploads.show(id);
    }

    /** Begins or resumes a push; the answer lists the files still to send (none when the same model is stored). */
    @POST
    @Path("/{id}/upload")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.REGISTRY_ADMIN)
    @APIResponse(
            responseCode = "200",
            description = "The push, with the files still to send (none when the same model is stored)")
    @APIResponse(
            responseCode = "409",
            description = "The model exists with other files, or another push with other files is in progress")
    @APIResponse(responseCode = "422", description = "The files declared are not a model (reason not_a_model)")
    public ModelUploads.UploadState begin(@PathParam("id") String id, Declaration body) {
        return uploads.begin(id, body == null ? null : body.files());
    }

    /** One file's bytes (spooled to disk by the server, never held in memory), checked against its declaration. */
    @PUT
    @Path("/{id}/upload/files/{file}")
    @Consumes(MediaType.APPLICATION_OCTET_STREAM)
    @RolesAllowed(Roles.REGISTRY_ADMIN)
    @APIResponse(responseCode = "200", description = "The push, with the files still to send")
    @APIResponse(responseCode = "404", description = "No push of this model is in progress")
    @APIResponse(
            responseCode = "422",
            description = "The bytes differ from the file's declared size or sha256 (reason file_mismatch)")
    public ModelUploads.UploadState file(@PathParam("id") String id, @PathParam("file") String file, File body) {
        return uploads.receive(id, file, body.toPath());
    }

    @POST
    @Path("/{id}/upload/complete")
    @RolesAllowed(Roles.REGISTRY_ADMIN)
    @APIResponse(
            responseCode = "201",
            description = "The model, stored",
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = ModelUploads.UploadState.class)))
    @APIResponse(responseCode = "400", description = "Not a valid model id")
    @APIResponse(responseCode = "404", description = "No push of this model is in progress")
    @APIResponse(responseCode = "409", description = "Files are still missing")
    @APIResponse(
            responseCode = "422",
            description = "The files are not a loadable model (reason not_a_model, invalid_weights, …)")
    public Response complete(@PathParam("id") String id) {
        return Response.status(201).entity(uploads.complete(id)).build();
    }

    @DELETE
    @Path("/{id}/upload")
    @RolesAllowed(Roles.REGISTRY_ADMIN)
    @APIResponse(responseCode = "204", description = "The push and what it stored are gone")
    @APIResponse(responseCode = "400", description = "Not a valid model id")
    @APIResponse(responseCode = "404", description = "No push of this model is in progress")
    @APIResponse(responseCode = "409", description = "The model is stored: there is no push to abort")
    public Response abort(@PathParam("id") String id) {
        uploads.abort(id);
        return Response.noContent().build();
    }
}
