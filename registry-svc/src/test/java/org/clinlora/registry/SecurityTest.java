package org.clinlora.registry;

import static org.clinlora.testing.RoleMatrix.ANY_ROLE;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Set;
import org.clinlora.platform.auth.Roles;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.testing.HostileInput;
import org.clinlora.testing.HostileInput.Endpoint;
import org.clinlora.testing.LocalInfraResource;
import org.clinlora.testing.RoleMatrix;
import org.clinlora.testing.RoleMatrix.Call;
import org.clinlora.testing.TestAuth;
import org.junit.jupiter.api.Test;

/** registry-svc's API under attack: who may call what, bad tokens, and 1,000+ malformed requests. */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class SecurityTest {
    @Inject
    ObjectStore store;

    static final String CARD = "{\"task\":\"los\",\"baseModelId\":\"tiny\"}";

    @Test
    void readingNeedsAValidTokenAndChangesNeedTheirRole() {
        Set<String> publisher = Set.of(Roles.PUBLISHER), admin = Set.of(Roles.REGISTRY_ADMIN);
        RoleMatrix.check(
                "registry-svc",
                List.of(
                        Call.of("GET", "/v1/adapters", ANY_ROLE),
                        Call.of("GET", "/v1/versions?task=no-such-task", ANY_ROLE),
                        Call.of("GET", "/v1/adapters/no-such-adapter/versions", ANY_ROLE),
                        Call.of("GET", "/v1/adapters/no-such-adapter/versions/1", ANY_ROLE),
                        Call.of("GET", "/v1/adapters/no-such-adapter/versions/1/files/adapter_config.json", ANY_ROLE),
                        Call.of(
                                "GET",
                                "/v1/adapters/no-such-adapter/versions/1/files/adapter_config.json/url",
                                ANY_ROLE),
                        Call.of("GET", "/v1/adapters/no-such-adapter/resolve/production", ANY_ROLE),
                        Call.of("GET", "/v1/adapters/no-such-adapter/aliases", ANY_ROLE),
                        Call.of("GET", "/v1/adapters/no-such-adapter/aliases/production", ANY_ROLE),
                        new Call(
                                "POST",
                                "/v1/adapters/no-such-adapter/versions",
                                "multipart/form-data; boundary=b",
                                "--b--\r\n",
                                publisher),
                        Call.json(
                                "POST",
                                "/v1/adapters/no-such-adapter/versions/from-store",
                                "{\"sourcePrefix\":\"nowhere/\",\"card\":" + CARD + "}",
                                publisher),
                        Call.json("PUT", "/v1/adapters/no-such-adapter/aliases/production", "{\"version\":1}", admin),
                        Call.of("DELETE", "/v1/adapters/no-such-adapter/versions/1", admin)));
    }

    @Test
    void badTokensAreRefused() throws Exception {
        RoleMatrix.badTokens(Call.of("GET", "/v1/adapters", ANY_ROLE));
    }

    @Test
    void malformedAndAdversarialRequestsGet4xxWithAReasonAndChangeNothing() {
        List<Endpoint> endpoints = List.of(
                Endpoint.get("/v1/adapters?offset={-1}&limit={0}"),
                // Two bad parameters beside the one made hostile: whatever it becomes, the answer is a 400.
                Endpoint.get("/v1/versions?q={x}&name={Bad_Name}&sort={size}&since={last-week}&limit={0}"),
                Endpoint.get("/v1/adapters/{no-such-adapter}/versions/{999999}"),
                Endpoint.get("/v1/adapters/{no-such-adapter}/versions/{999999}/files/{adapter_model.safetensors}"),
                Endpoint.get(
                        "/v1/adapters/{no-such-adapter}/versions/{999999}/files/{adapter_config.json}/url?expires={300}"),
                Endpoint.get("/v1/adapters/{no-such-adapter}/resolve/{production}"),
                Endpoint.get("/v1/adapters/{no-such-adapter}/aliases/{production}"),
                Endpoint.json(
                        "PUT",
                        "/v1/adapters/{no-such-adapter}/aliases/{production}",
                        "{\"version\":1,\"expectedVersion\":null}"),
                Endpoint.json(
                        "POST",
                        "/v1/adapters/{no-such-adapter}/versions/from-store",
                        "{\"sourcePrefix\":\"no-such-prefix/\",\"card\":" + CARD + "}"),
                new Endpoint(
                        "POST",
                        "/v1/adapters/{no-such-adapter}/versions",
                        "multipart/form-data; boundary=b",
                        "--b\r\nContent-Disposition: form-data; name=\"card\"\r\n\r\n" + CARD + "\r\n--b--\r\n"),
                new Endpoint("DELETE", "/v1/adapters/{no-such-adapter}/versions/{999999}", null, null));
        HostileInput.run(
                "registry-svc",
                HostileInput.generate(endpoints, 1000, 11),
                TestAuth.allRoles(),
                HostileInput.bucket(store));
    }
}
