package org.clinlora.platform.registry;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * registry-svc's REST endpoints that {@link RegistryApi} calls, declared for Quarkus REST Client, which implements this
 * interface in the services ({@link RestRegistryApi} sends every call through it). Nothing else implements it: a class
 * that did would be served as an endpoint by Quarkus REST. Error answers become
 * {@link RegistryClient.RegistryException}s through {@link RegistryProblems}.
 */
@Path("/v1")
public interface RegistryHttp {
    @GET
    @Path("/adapters/{name}/resolve/{selector}")
    @Produces(MediaType.APPLICATION_JSON)
    JsonNode resolve(@PathParam("name") String name, @PathParam("selector") String selector) throws IOException;

    @GET
    @Path("/adapters/{name}/versions")
    @Produces(MediaType.APPLICATION_JSON)
    JsonNode versions(@PathParam("name") String name) throws IOException;

    @GET
    @Path("/adapters/{name}/versions/{version}")
    @Produces(MediaType.APPLICATION_JSON)
    JsonNode card(@PathParam("name") String name, @PathParam("version") int version) throws IOException;

    /** One file of a version, as it streams (the caller verifies its sha256 and closes it). */
    @GET
    @Path("/adapters/{name}/versions/{version}/files/{file}")
    @Produces(MediaType.WILDCARD)
    InputStream file(@PathParam("name") String name, @PathParam("version") int version, @PathParam("file") String file)
            throws IOException;

    /** {@code body}: {@code sourcePrefix} and {@code card}; answers the new version's card. */
    @POST
    @Path("/adapters/{name}/versions/from-store")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    JsonNode publishFromStore(@PathParam("name") String name, Map<String, Object> body) throws IOException;

    /** {@code body}: {@code version}, and {@code expectedVersion} for a compare-and-set move. */
    @PUT
    @Path("/adapters/{name}/aliases/{alias}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    void moveAlias(@PathParam("name") String name, @PathParam("alias") String alias, Map<String, Object> body)
            throws IOException;

    @DELETE
    @Path("/adapters/{name}/versions/{version}")
    @Produces(MediaType.APPLICATION_JSON)
    void delete(@PathParam("name") String name, @PathParam("version") int version) throws IOException;

    /** Declares a model's files (name: sha256, size); answers its state and the files still missing. */
    @POST
    @Path("/models/{id}/upload")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    JsonNode declareModel(@PathParam("id") String id, JsonNode declaration) throws IOException;

    @PUT
    @Path("/models/{id}/upload/files/{file}")
    @Consumes(MediaType.APPLICATION_OCTET_STREAM)
    @Produces(MediaType.APPLICATION_JSON)
    void uploadModelFile(@PathParam("id") String id, @PathParam("file") String file, File content) throws IOException;

    @POST
    @Path("/models/{id}/upload/complete")
    @Produces(MediaType.APPLICATION_JSON)
    void completeModel(@PathParam("id") String id) throws IOException;
}
