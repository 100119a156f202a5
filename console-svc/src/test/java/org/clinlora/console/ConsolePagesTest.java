package org.clinlora.console;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.clinlora.model.io.Sha256;
import org.clinlora.platform.auth.Roles;
import org.clinlora.platform.store.ExperimentManifest;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalInfraResource;
import org.clinlora.testing.LocalServices;
import org.clinlora.testing.TestAuth;
import org.junit.jupiter.api.Test;

/**
 * The console's own rules, in process, with no real service behind it (their URLs point at a closed port, the
 * registry's at a stub that only refuses): sessions, the login page, what a page says when a service cannot be reached
 * or refuses, the experiments page's limits. The pages over a real pipeline are {@link ConsoleBrowserIT}.
 */
@QuarkusTest
@TestProfile(ConsolePagesTest.NoServices.class)
@QuarkusTestResource(value = LocalInfraResource.class, initArgs = @ResourceArg(name = "components", value = "s3"))
class ConsolePagesTest {
    static final String PROBLEM = "application/problem+json";

    @TestHTTPResource("/")
    URI root;

    public static class NoServices implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "clinlora.trainer.url",
                    LocalServices.NOWHERE,
                    "clinlora.tokenizer.url",
                    LocalServices.NOWHERE,
                    "clinlora.scorer.url",
                    LocalServices.NOWHERE);
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(RefusingRegistry.class));
        }
    }

    /**
     * A registry that refuses everything: 401 (the session's token expired since sign-in) for the adapter named
     * {@code expired-session}, in the error shape before problems (still read for one release), and a 404 problem with
     * its own reason for any other — except one large file, {@link #BIG_FILE}, whose second half it sends only once
     * {@link #RELEASE} opens (so a console that held the file whole before passing it on would never answer).
     */
    public static class RefusingRegistry implements QuarkusTestResourceLifecycleManager {
        private HttpServer server;

        @Override
        public Map<String, String> start() {
            try {
                server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            server.setExecutor(Executors.newCachedThreadPool());
            server.createContext(BIG_FILE, exchange -> {
                exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
                exchange.getResponseHeaders().set("X-Checksum-Sha256", Sha256.of(BIG));
                exchange.sendResponseHeaders(200, BIG.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(BIG, 0, BIG.length / 2);
                    out.flush();
                    if (!RELEASE.await(60, TimeUnit.SECONDS)) return; // the test gave up: cut the answer short
                    out.write(BIG, BIG.length / 2, BIG.length - BIG.length / 2);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            server.createContext("/", exchange -> {
                boolean expired = exchange.getRequestURI().getPath().contains("/expired-session/");
                String body = expired
                        ? "{\"error\":\"unauthorized\",\"message\":\"a valid bearer token is required\"}"
                        : "{\"type\":\"https://clinlora.org/problems/unknown_adapter\",\"title\":\"Not Found\","
                                + "\"status\":404,\"detail\":\"no such adapter\",\"reason\":\"unknown_adapter\","
                                + "\"traceId\":\"4bf92f3577b34da6a3ce929d0e0e4736\"}";
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders()
                        .set("Content-Type", expired ? "application/json" : "application/problem+json");
                exchange.sendResponseHeaders(expired ? 401 : 404, bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            });
            server.start();
            return Map.of(
                    "clinlora.registry.url",
                    LocalServices.url(server.getAddress().getPort()));
        }

        @Override
        public void stop() {
            if (server != null) server.stop(0);
        }
    }

    /** The registry's path of the one file it serves, and its bytes (8 MiB, not all zeros). */
    static final String BIG_FILE = "/v1/adapters/big/versions/1/files/adapter_model.safetensors";

    static final byte[] BIG = new byte[8 << 20];

    static {
        new SplittableRandom(7).nextBytes(BIG);
    }

    static final CountDownLatch RELEASE = new CountDownLatch(1);

    static String session(String... roles) {
        return "clinlora_token=" + TestAuth.token(roles);
    }

    @Test
    void withoutAValidSessionPagesGoToTheLoginPageAndTheJsonApiSays401() {
        for (String cookie : new String[] {
            null,
            "clinlora_token=not.a.jwt",
            "clinlora_token=" + TestAuth.issuer().mint("u", List.of(), Duration.ofSeconds(-120))
        }) {
            var req = given().header("Authorization", "").redirects().follow(false);
            if (cookie != null) req = req.header("Cookie", cookie);
            req.get("/registry").then().statusCode(303).header("Location", containsString("/login?reason=expired"));
        }
        given().header("Authorization", "")
                .get("/api/jobs/j1/metrics")
                .then()
                .statusCode(401)
                .contentType(containsString(PROBLEM))
                .body("status", equalTo(401))
                .body("reason", equalTo("unauthorized"))
                .body("instance", equalTo("/api/jobs/j1/metrics"));
        given().header("Authorization", "").get("/login").then().statusCode(200).body(containsString("name=\"token\""));
    }

    @Test
    void aPathNoRouteTakesIsAProblemWhileStaticFilesAreStillServed() {
        given().header("Authorization", "")
                .get("/api/no-such-endpoint")
                .then()
                .statusCode(404)
                .contentType(containsString(PROBLEM))
                .body("status", equalTo(404))
                .body("instance", equalTo("/api/no-such-endpoint"));
        given().header("Authorization", "").get("/static/console.css").then().statusCode(200);
    }

    @Test
    void signingInSetsAnHttpOnlyStrictCookieAndAMalformedTokenIsNeverEchoed() {
        String token = TestAuth.token(Roles.TRAINER);
        given().header("Authorization", "")
                .redirects()
                .follow(false)
                .contentType("application/x-www-form-urlencoded")
                .formParam("token", "Bearer " + token)
                .post("/login")
                .then()
                .statusCode(303)
                .header("Location", containsString("/registry"))
                .header("Set-Cookie", containsString("clinlora_token=" + token))
                .header("Set-Cookie", containsString("HttpOnly"))
                .header("Set-Cookie", containsString("SameSite=Strict"));
        given().header("Authorization", "")
                .redirects()
                .follow(false)
                .contentType("application/x-www-form-urlencoded")
                .formParam("token", "SECRET-NOTE-TEXT <script>")
                .post("/login")
                .then()
                .statusCode(303)
                .header("Location", containsString("reason=malformed"));
        given().header("Authorization", "")
                .get("/login?reason=malformed")
                .then()
                .statusCode(200)
                .body(containsString("not a JWT"))
                .body(not(containsString("SECRET-NOTE-TEXT")));
    }

    @Test
    void aServiceThatCannotBeReachedIsA503PageNamingIt() {
        given().header("Authorization", "")
                .header("Cookie", session())
                .get("/jobs")
                .then()
                .statusCode(503)
                .contentType(containsString("text/html"))
                .body(containsString("trainer-svc could not be reached"));
        given().header("Authorization", "")
                .header("Cookie", session())
                .get("/api/jobs/j1/metrics")
                .then()
                .statusCode(503)
                .contentType(containsString(PROBLEM))
                .header("Retry-After", notNullValue())
                .body("reason", equalTo("service_unavailable"))
                .body("detail", containsString("trainer-svc could not be reached"))
                .body("traceId", notNullValue());
        given().header("Authorization", "")
                .header("Cookie", session())
                .accept("application/json")
                .get("/jobs")
                .then()
                .contentType(containsString(PROBLEM)); // a client that reads JSON never gets a page
    }

    @Test
    void aServiceRefusalReachesThePageWithItsStatusAndReasonAndAnExpiredSessionSignsInAgain() {
        given().header("Authorization", "")
                .header("Cookie", session())
                .get("/registry/some-adapter")
                .then()
                .statusCode(404)
                .contentType(containsString("text/html"))
                .body(containsString("unknown_adapter"))
                .body(containsString("no such adapter"))
                .body(containsString("Reference for support"));
        given().header("Authorization", "")
                .header("Cookie", session())
                .redirects()
                .follow(false)
                .get("/registry/expired-session")
                .then()
                .statusCode(303)
                .header("Location", containsString("/login?reason=expired"));
    }

    @Test
    void aDownloadIsStreamedThroughWithItsChecksumNeverHeldWhole() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest get = HttpRequest.newBuilder(root.resolve("/registry/big/1/files/adapter_model.safetensors"))
                .header("Cookie", session())
                .build();
        HttpResponse<InputStream> r =
                http.sendAsync(get, HttpResponse.BodyHandlers.ofInputStream()).get(30, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode());
        assertEquals(Sha256.of(BIG), r.headers().firstValue("X-Checksum-Sha256").orElse(null));
        assertTrue(
                r.headers().firstValue("Content-Disposition").orElse("").contains("adapter_model.safetensors"),
                "the browser saves it under its own name");
        try (InputStream in = r.body()) {
            // The registry has sent half and waits: the first megabyte must already be here.
            byte[] first = CompletableFuture.supplyAsync(() -> {
                        try {
                            return in.readNBytes(1 << 20);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    })
                    .get(30, TimeUnit.SECONDS);
            RELEASE.countDown();
            byte[] rest = in.readAllBytes();
            byte[] all = new byte[first.length + rest.length];
            System.arraycopy(first, 0, all, 0, first.length);
            System.arraycopy(rest, 0, all, first.length, rest.length);
            assertEquals(Sha256.of(BIG), Sha256.of(all), "every byte, in order");
        } finally {
            RELEASE.countDown();
        }
        given().header("Authorization", "")
                .header("Cookie", session())
                .get("/registry/big/1/files/.hidden")
                .then()
                .statusCode(400);
        given().header("Authorization", "")
                .header("Cookie", session())
                .get("/registry/big/1/files/no-such-file")
                .then()
                .statusCode(404)
                .body(containsString("unknown_adapter"));
    }

    @Test
    void comparingFewerThanTwoOrMoreThanFiveJobsIsA400PageSayingSo() {
        for (String query : List.of("", "?id=a", "?id=a&id=b&id=c&id=d&id=e&id=f", "?id=a&id=a")) {
            given().header("Authorization", "")
                    .header("Cookie", session())
                    .get("/compare" + query)
                    .then()
                    .statusCode(400)
                    .contentType(containsString("text/html"))
                    .body(containsString("invalid_request"))
                    .body(containsString("compare"));
        }
        given().header("Authorization", "")
                .header("Cookie", session())
                .get("/compare?id=a&id=b")
                .then()
                .statusCode(503)
                .body(containsString("trainer-svc could not be reached"));
    }

    @Test
    void aJobOrExperimentMayTakeTheNameOfAPageWithoutLosingItsOwnPage() {
        // /jobs/compare is job "compare" (its page asks trainer-svc, closed here), not the comparison.
        given().header("Authorization", "")
                .header("Cookie", session())
                .get("/jobs/compare")
                .then()
                .statusCode(503)
                .body(containsString("trainer-svc could not be reached"));
        ObjectStore store = new ObjectStore(LocalInfra.s3Settings());
        publish(store, "figure", "task,variant,test_macro_auroc\nmor,downstream,0.71\n", true);
        given().header("Authorization", "")
                .header("Cookie", session())
                .get("/experiments/figure")
                .then()
                .statusCode(200)
                .body(containsString("<td>0.71</td>"));
    }

    @Test
    void theExperimentsPageOpensOnlyExperimentFolders() {
        given().header("Authorization", "")
                .header("Cookie", session())
                .get("/experiments")
                .then()
                .statusCode(200)
                .body(containsString("Experiments"));
        given().header("Authorization", "")
                .header("Cookie", session())
                .get("/experiments?dir=../etc")
                .then()
                .statusCode(400)
                .contentType(containsString("text/html"))
                .body(containsString("dir is one folder name"));
        given().header("Authorization", "")
                .header("Cookie", session())
                .get("/experiment-figures?dir=x&file=passwd")
                .then()
                .statusCode(400);
        given().header("Authorization", "")
                .header("Cookie", session())
                .get("/experiments?dir=no-such-run")
                .then()
                .statusCode(404)
                .contentType(containsString("text/html"));
        given().header("Authorization", "")
                .header("Cookie", session())
                .get("/experiments?prefix=Bad Prefix")
                .then()
                .statusCode(400);
    }

    /**
     * An experiment as {@code ./clinlora experiment --publish} leaves it in the bucket; the manifest last, if at all.
     */
    private static void publish(ObjectStore store, String name, String csv, boolean manifest) {
        String prefix = StoreLayout.experiment(name);
        Map<String, byte[]> files = Map.of(
                "results.csv",
                csv.getBytes(StandardCharsets.UTF_8),
                "config.json",
                "{\"protocol\": \"paper-text\"}".getBytes(StandardCharsets.UTF_8),
                "figures/auroc.svg",
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"20\" height=\"20\"/>"
                        .getBytes(StandardCharsets.UTF_8));
        files.forEach((f, b) -> store.put(prefix + f, b, Map.of()));
        if (!manifest) return;
        List<ExperimentManifest.Entry> entries = files.entrySet().stream()
                .map(e -> new ExperimentManifest.Entry(e.getKey(), e.getValue().length, Sha256.of(e.getValue())))
                .toList();
        store.put(
                prefix + StoreLayout.EXPERIMENT_MANIFEST,
                new ExperimentManifest(name, "paper-text", 2, "2026-12-06T09:30:00Z", "0".repeat(64), entries).toJson(),
                Map.of());
    }

    @Test
    void aPublishedExperimentIsListedAndShownFromTheBucketAndAHalfUploadIsNot() {
        ObjectStore store = new ObjectStore(LocalInfra.s3Settings());
        publish(store, "tiny", "task,variant,test_macro_auroc\nlos,downstream,0.61\nlos,head_only,0.58\n", true);
        publish(store, "half", "task,variant\nlos,downstream\n", false);
        String list = given().header("Authorization", "")
                .header("Cookie", session())
                .get("/experiments")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        assertTrue(list.contains("<a href=\"/experiments/tiny\">tiny</a>"), list);
        assertTrue(list.contains("paper-text"), "its protocol");
        assertTrue(!list.contains("data-experiment=\"half\""), "an upload without its manifest is not listed");

        String page = given().header("Authorization", "")
                .header("Cookie", session())
                .get("/experiments/tiny")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        String results = page.substring(page.indexOf("id=\"results\""));
        assertEquals(3, results.split("<tr>", -1).length - 1, "the header and two result rows: " + results);
        assertTrue(page.contains("<td>0.58</td>"), page);
        assertTrue(page.contains("src=\"/experiments/tiny/figures/auroc.svg\""), page);
        given().header("Authorization", "")
                .header("Cookie", session())
                .get("/experiments/tiny/figures/auroc.svg")
                .then()
                .statusCode(200)
                .header("Content-Security-Policy", containsString("default-src 'none'"))
                .body(containsString("<svg"));

        given().header("Authorization", "")
                .header("Cookie", session())
                .get("/experiments/half")
                .then()
                .statusCode(404);
        given().header("Authorization", "")
                .header("Cookie", session())
                .get("/experiments/Tiny")
                .then()
                .statusCode(400);
        // A file changed after publishing is refused, not shown as if it were the published one.
        store.put(
                StoreLayout.experiment("tiny") + "results.csv",
                "task\nforged\n".getBytes(StandardCharsets.UTF_8),
                Map.of());
        given().header("Authorization", "")
                .header("Cookie", session())
                .get("/experiments/tiny")
                .then()
                .statusCode(422)
                .body(not(containsString("forged")));
    }
}
