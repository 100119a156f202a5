package org.clinlora.platform.registry;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * registry-svc's REST API as its clients call it, one method per endpoint ({@link RegistryHttp} has the paths). In the
 * services Quarkus REST Client sends the calls ({@link RestRegistryApi}: traced by quarkus-opentelemetry, retried by
 * SmallRye Fault Tolerance); the command line, which is not a Quarkus application, has {@link JdkRegistryApi} over the
 * JDK's HTTP client. Both retry as {@code calls/RetryPolicy} says. An error answer is a
 * {@link RegistryClient.RegistryException} (its status, the problem's detail, its Retry-After); an unreachable registry
 * is an {@link IOException}. {@link RegistryClient} builds what callers use (lineage, verified downloads, publish-once,
 * model push) on these calls.
 */
public interface RegistryApi {
    /** {@code GET /v1/adapters/{name}/resolve/{selector}}: the version, its card and its lineage. */
    JsonNode resolve(String name, String selector) throws IOException;

    /** {@code GET /v1/adapters/{name}/versions}: every version's card. */
    JsonNode versions(String name) throws IOException;

    /** {@code GET /v1/adapters/{name}/versions/{version}}: one version's card. */
    JsonNode card(String name, int version) throws IOException;

    /** One file of a version, as it streams (the caller verifies its sha256 and closes it). */
    InputStream file(String name, int version, String file) throws IOException;

    /** {@code body}: {@code sourcePrefix} and {@code card}; answers the new version's card. */
    JsonNode publishFromStore(String name, Map<String, Object> body) throws IOException;

    /** {@code body}: {@code version}, and {@code expectedVersion} for a compare-and-set move. */
    void moveAlias(String name, String alias, Map<String, Object> body) throws IOException;

    void delete(String name, int version) throws IOException;

    /** Declares a model's files (name: sha256, size); answers its state and the files still missing. */
    JsonNode declareModel(String id, JsonNode declaration) throws IOException;

    void uploadModelFile(String id, String file, File content) throws IOException;

    void completeModel(String id) throws IOException;
}
