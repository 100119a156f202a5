package org.clinlora.trainer;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Set;
import org.clinlora.platform.auth.Roles;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.testing.HostileInput;
import org.clinlora.testing.HostileInput.Endpoint;
import org.clinlora.testing.LocalServices;
import org.clinlora.testing.RoleMatrix;
import org.clinlora.testing.RoleMatrix.Call;
import org.clinlora.testing.TestAuth;
import org.junit.jupiter.api.Test;

/**
 * trainer-svc's API under attack: only trainers submit, read and cancel jobs; bad tokens; 1,000+ malformed requests.
 */
@QuarkusTest
@QuarkusTestResource(value = LocalServices.class, initArgs = @ResourceArg(name = "services", value = "registry"))
class SecurityTest {
    @Inject
    ObjectStore store;

    static final String JOB =
            "{\"jobId\":\"hostile-job\",\"kind\":\"downstream\",\"baseModel\":\"no-such-model\",\"datasets\":{\"train\":\"no-such-dataset\"},"
                    + "\"parent\":\"no-such-parent@production\",\"parentTrainable\":false,\"outputName\":\"hostile-out\",\"task\":\"los\","
                    + "\"lora\":{\"r\":8,\"alpha\":4.0,\"dropout\":0.1,\"targetModules\":[\"q_proj\",\"v_proj\"]},"
                    + "\"optim\":{\"learningRate\":0.01,\"batchSize\":8,\"gradientAccumulation\":1,\"epochs\":1,\"maxSteps\":10},"
                    + "\"seed\":1,\"device\":\"cpu\",\"precision\":\"fp32\",\"checkpointEvery\":10}";

    @Test
    void onlyTrainersSubmitAndCancelJobsAndAnyValidTokenReadsThem() {
        Set<String> trainer = Set.of(Roles.TRAINER);
        RoleMatrix.check(
                "trainer-svc",
                List.of(
                        Call.json("POST", "/v1/jobs", JOB, trainer),
                        Call.of("GET", "/v1/jobs", RoleMatrix.ANY_ROLE),
                        Call.of("GET", "/v1/jobs/no-such-job", RoleMatrix.ANY_ROLE),
                        Call.of("GET", "/v1/jobs/no-such-job/metrics", RoleMatrix.ANY_ROLE),
                        Call.of("DELETE", "/v1/jobs/no-such-job", trainer)));
    }

    @Test
    void badTokensAreRefused() throws Exception {
        RoleMatrix.badTokens(Call.of("GET", "/v1/jobs", RoleMatrix.ANY_ROLE));
    }

    @Test
    void malformedAndAdversarialRequestsGet4xxWithAReasonAndChangeNothing() {
        List<Endpoint> endpoints = List.of(
                Endpoint.json("POST", "/v1/jobs", JOB),
                Endpoint.get("/v1/jobs?limit={0}"),
                // Two bad parameters beside the one made hostile: whatever it becomes, the answer is a 400.
                Endpoint.get("/v1/jobs?q={x}&status={done}&sort={size}&since={last-week}&offset={-1}"),
                Endpoint.get("/v1/jobs/{no-such-job}"),
                Endpoint.get("/v1/jobs/{no-such-job}/metrics?after={0}"),
                new Endpoint("DELETE", "/v1/jobs/{no-such-job}", null, null));
        HostileInput.run(
                "trainer-svc",
                HostileInput.generate(endpoints, 1000, 13),
                TestAuth.allRoles(),
                HostileInput.bucket(store));
    }
}
