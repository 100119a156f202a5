package org.clinlora.tokenizer;

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

/**
 * tokenizer-svc's API under attack: only data engineers tokenize and build datasets; bad tokens; 1,000+ malformed
 * requests.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class SecurityTest {
    @Inject
    ObjectStore store;

    static final String CSV = "id,subject_id,text,label\n1,1,Patient admitted with chest pain.,0\n";

    @Test
    void onlyDataEngineersTokenizeAndBuildDatasetsAndAnyValidTokenReadsBuilds() {
        Set<String> de = Set.of(Roles.DATA_ENGINEER);
        RoleMatrix.check(
                "tokenizer-svc",
                List.of(
                        Call.json("POST", "/v1/tokenize", "{\"model\":\"no-such-model\",\"texts\":[\"x\"]}", de),
                        Call.json(
                                "POST",
                                "/v1/datasets",
                                "{\"datasetId\":\"no-ds\",\"model\":\"no-such-model\",\"kind\":\"causal_lm\",\"sources\":[\"none.csv\"]}",
                                de),
                        new Call("POST", "/v1/datasets?model=no-such-model&kind=classification", "text/csv", CSV, de),
                        Call.of("GET", "/v1/datasets", RoleMatrix.ANY_ROLE),
                        Call.of("GET", "/v1/datasets/no-such-dataset", RoleMatrix.ANY_ROLE)));
    }

    @Test
    void badTokensAreRefused() throws Exception {
        RoleMatrix.badTokens(Call.of("GET", "/v1/datasets/no-such-dataset", RoleMatrix.ANY_ROLE));
    }

    @Test
    void malformedAndAdversarialRequestsGet4xxWithAReasonAndChangeNothing() {
        List<Endpoint> endpoints = List.of(
                Endpoint.json(
                        "POST",
                        "/v1/tokenize",
                        "{\"model\":\"no-such-model\",\"texts\":[\"Patient admitted with chest pain.\"],\"maxLength\":64,\"addSpecialTokens\":true}"),
                Endpoint.json(
                        "POST",
                        "/v1/datasets",
                        "{\"datasetId\":\"hostile-ds\",\"model\":\"no-such-model\",\"kind\":\"classification\","
                                + "\"sources\":[\"no-such.csv\"],\"seqLen\":128,\"truncation\":\"head\",\"labels\":[\"0\",\"1\"],\"validationFraction\":0.1,"
                                + "\"testFraction\":0.1,\"onMalformed\":\"fail\",\"rowsPerShard\":64}"),
                new Endpoint(
                        "POST",
                        "/v1/datasets?model={no-such-model}&kind={classification}&seqLen={128}&datasetId={hostile-up}&truncation={head}"
                                + "&validationFraction={0.1}&rowsPerShard={64}&onMalformed={fail}",
                        "text/csv",
                        CSV),
                Endpoint.get("/v1/datasets/{no-such-dataset}"));
        HostileInput.run(
                "tokenizer-svc",
                HostileInput.generate(endpoints, 1000, 12),
                TestAuth.allRoles(),
                HostileInput.bucket(store));
    }
}
