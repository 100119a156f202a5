package org.clinlora.console;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.Map;
import org.clinlora.platform.auth.Roles;
import org.clinlora.testing.LocalInfraResource;
import org.clinlora.testing.TestAuth;
import org.junit.jupiter.api.Test;

/**
 * The console's own rules, in process, with no service behind it (their URLs point at a closed port): sessions, the
 * login page, what a page says when a service cannot be reached, the experiments page's limits. The pages over a real
 * pipeline are {@link ConsoleBrowserIT}.
 */
@QuarkusTest
@TestProfile(ConsolePagesTest.NoServices.class)
@QuarkusTestResource(value = LocalInfraResource.class, initArgs = @ResourceArg(name = "components", value = "s3"))
class ConsolePagesTest {
    public static class NoServices implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            String closed = "http://127.0.0.1:1";
            return Map.of("clinlora.registry.url", closed, "clinlora.trainer.url", closed, "clinlora.tokenizer.url", closed, "clinlora.scorer.url", closed);
        }
    }

    static String session(String... roles) {
        return "clinlora_token=" + TestAuth.token(roles);
    }

    @Test
    void withoutAValidSessionPagesGoToTheLoginPageAndTheJsonApiSays401() {
        for (String cookie : new String[] {null, "clinlora_token=not.a.jwt", "clinlora_token=" + TestAuth.issuer().mint("u", java.util.List.of(), java.time.Duration.ofSeconds(-120))}) {
            var req = given().header("Authorization", "").redirects().follow(false);
            if (cookie != null) req = req.header("Cookie", cookie);
            req.get("/registry").then().statusCode(303).header("Location", containsString("/login?reason=expired"));
        }
        given().header("Authorization", "").get("/api/jobs/j1/metrics").then().statusCode(401).body("error", equalTo("unauthorized"));
        given().header("Authorization", "").get("/login").then().statusCode(200).body(containsString("name=\"token\""));
    }

    @Test
    void signingInSetsAnHttpOnlyStrictCookieAndAMalformedTokenIsNeverEchoed() {
        String token = TestAuth.token(Roles.TRAINER);
        given().header("Authorization", "").redirects().follow(false).contentType("application/x-www-form-urlencoded").formParam("token", "Bearer " + token)
                .post("/login").then().statusCode(303).header("Location", containsString("/registry"))
                .header("Set-Cookie", containsString("clinlora_token=" + token)).header("Set-Cookie", containsString("HttpOnly"))
                .header("Set-Cookie", containsString("SameSite=Strict"));
        given().header("Authorization", "").redirects().follow(false).contentType("application/x-www-form-urlencoded").formParam("token", "SECRET-NOTE-TEXT <script>")
                .post("/login").then().statusCode(303).header("Location", containsString("reason=malformed"));
        given().header("Authorization", "").get("/login?reason=malformed").then().statusCode(200)
                .body(containsString("not a JWT")).body(not(containsString("SECRET-NOTE-TEXT")));
    }

    @Test
    void aServiceThatCannotBeReachedIsA503PageNamingIt() {
        given().header("Authorization", "").header("Cookie", session()).get("/jobs").then().statusCode(503)
                .contentType(containsString("text/html")).body(containsString("trainer-svc could not be reached"));
        given().header("Authorization", "").header("Cookie", session()).get("/api/jobs/j1/metrics").then().statusCode(503)
                .body("reason", equalTo("service_unavailable"));
    }

    @Test
    void theExperimentsPageOpensOnlyExperimentFolders() {
        given().header("Authorization", "").header("Cookie", session()).get("/experiments").then().statusCode(200).body(containsString("Experiments"));
        given().header("Authorization", "").header("Cookie", session()).get("/experiments?dir=../etc").then().statusCode(400);
        given().header("Authorization", "").header("Cookie", session()).get("/experiments/figure?dir=x&file=passwd").then().statusCode(400);
        given().header("Authorization", "").header("Cookie", session()).get("/experiments?dir=no-such-run").then().statusCode(404);
        given().header("Authorization", "").header("Cookie", session()).get("/experiments?prefix=Bad Prefix").then().statusCode(400);
    }
}
