package org.clinlora.console;

import static io.restassured.RestAssured.given;
import static org.clinlora.console.ProviderSession.groups;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.specification.RequestSpecification;
import java.net.URLDecoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.train.PaperDefaults;
import org.clinlora.platform.auth.Roles;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.testing.LocalInfra;
import org.clinlora.testing.LocalServices;
import org.clinlora.testing.TestAdapters;
import org.clinlora.testing.TestAuth;
import org.clinlora.testing.TestBucket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Signing in to the console through a real OpenID Connect provider process (mock-oauth2-server, started by
 * {@code ./clinlora infra up oidc}) with the authorization code flow, over plain HTTP with a cookie jar: the login
 * page's "Sign in with ..." goes to the provider, its login form is filled in with a user and the roles the provider
 * grants ({@code groups}), and the browser lands back on the console's registry page. registry-svc runs from its jar
 * trusting only the provider (its JWKS and issuer), so a page that shows the registry's adapters proves the console
 * called it with the provider's access token; what each user may do is the registry's own role check.
 */
class OidcSignInIT {
    static final int OIDC_PORT = Integer.parseInt(System.getenv().getOrDefault("CLINLORA_OIDC_PORT", "9080"));
    static final String ISSUER = "http://127.0.0.1:" + OIDC_PORT + "/clinlora";
    static final String ADAPTER = "oidc-" + UUID.randomUUID().toString().substring(0, 8);

    static final List<Process> processes = new ArrayList<>();
    static boolean providerStarted;
    static String bucket, registry, console;

    @BeforeAll
    static void providerAndServices() throws Exception {
        LocalInfra.startIfDown("kafka", LocalInfra.KAFKA_PORT);
        LocalInfra.startIfDown("s3", LocalInfra.S3_PORT);
        providerStarted = LocalInfra.startIfDown("oidc", OIDC_PORT);
        bucket = TestBucket.open();

        Map<String, String> env = new HashMap<>();
        env.put("CLINLORA_S3_BUCKET", bucket);
        // registry-svc trusts the provider alone: its published keys and its issuer (docs/SECURITY.md).
        Map<String, String> registryEnv = new HashMap<>(env);
        registryEnv.put("CLINLORA_JWT_PUBLIC_KEY_LOCATION", ISSUER + "/jwks");
        registryEnv.put("CLINLORA_JWT_ISSUER", ISSUER);
        registry = launch("registry", registryEnv);

        env.put(LocalServices.urlVariable("registry"), registry);
        env.put("CLINLORA_OIDC_ISSUER", ISSUER);
        // The provider puts audience "clinlora" in every token it issues, the ID token too: the console is that client.
        env.put("CLINLORA_OIDC_CLIENT_ID", "clinlora");
        env.put("CLINLORA_OIDC_CLIENT_SECRET", "console-secret-of-the-oidc-sign-in-test");
        console = launch("console", env);
        publishVersion();
    }

    static String launch(String svc, Map<String, String> env) {
        int port = LocalServices.freePort();
        Path log = Path.of("target", svc + "-svc-oidc-it.log").toAbsolutePath();
        processes.add(LocalServices.launch(svc, port, env, log));
        return LocalServices.url(port);
    }

    /** Version 1 of an adapter, published with a provider token that grants publisher. */
    static void publishVersion() throws Exception {
        Path work = Files.createTempDirectory("console-oidc-it");
        String base = "tiny-" + ADAPTER;
        LlamaConfig config =
                TinyLlama.write(work.resolve("base"), new TinyLlama.Spec(600, 32, 2, 4, 2, 96, 256, false, 3));
        new ModelStore(new ObjectStore(LocalInfra.s3Settings(bucket))).upload(base, work.resolve("base"));
        Path adapter = TestAdapters.write(work.resolve("clinical"), PaperDefaults.clinicalLora(), config, 0, 1);
        String token = new ProviderSession(ISSUER).accessToken("pipeline", groups(Roles.PUBLISHER));
        RequestSpecification r = given().header("Authorization", "Bearer " + token);
        try (var files = Files.list(adapter)) {
            for (Path f : files.toList()) r = r.multiPart(f.getFileName().toString(), f.toFile());
        }
        r.multiPart("card", "{\"task\":\"clinical-lm\",\"baseModelId\":\"" + base + "\"}", "application/json")
                .post(registry + "/v1/adapters/" + ADAPTER + "/versions")
                .then()
                .statusCode(201);
    }

    @AfterAll
    static void stop() {
        for (Process p : processes) {
            p.destroy();
            try {
                if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (bucket != null) TestBucket.close(bucket);
        if (providerStarted) LocalInfra.stop("oidc");
    }

    @Test
    void signedInAtTheProviderTheRegistryShowsWithTheProvidersRoles() throws Exception {
        ProviderSession alice = new ProviderSession(ISSUER);
        HttpResponse<String> page = alice.signIn(console, "alice", groups(Roles.REGISTRY_ADMIN));
        assertEquals(200, page.statusCode(), page.body());
        assertEquals("/registry", page.uri().getPath(), "landed on the registry, not back on the login page");
        assertTrue(page.body().contains("<span id=\"user-name\">alice</span>"), "the provider's user");
        assertTrue(page.body().contains("<span class=\"role\">registry-admin</span>"), "the role from groups");
        assertTrue(page.body().contains(ADAPTER), "registry-svc accepted the provider's access token");

        HttpResponse<String> adapter = alice.get(console + "/registry/" + ADAPTER);
        assertTrue(adapter.body().contains("class=\"inline new-alias\""), "a registry-admin is offered the move");
        HttpResponse<String> moved = alice.follow(alice.post(
                console + "/registry/" + ADAPTER + "/aliases", Map.of("alias", "production", "version", "1")));
        assertEquals("moved=production", moved.uri().getQuery(), moved.uri().toString());
        assertTrue(moved.body().contains("<td>alice</td>"), "the registry recorded the move as the provider's user");
    }

    @Test
    void withoutTheRoleTheRegistryRefusesTheMove() throws Exception {
        ProviderSession bob = new ProviderSession(ISSUER);
        HttpResponse<String> page = bob.signIn(console, "bob", groups());
        assertEquals(200, page.statusCode(), page.body());
        assertEquals("/registry", page.uri().getPath(), "reading the registry needs no role");
        assertTrue(page.body().contains("<span id=\"user-name\">bob</span>"));
        assertFalse(page.body().contains("<span class=\"role\">"), "no roles granted, none shown");

        HttpResponse<String> adapter = bob.get(console + "/registry/" + ADAPTER);
        assertFalse(adapter.body().contains("class=\"inline new-alias\""), "the move is not offered");
        HttpResponse<String> refused = bob.follow(
                bob.post(console + "/registry/" + ADAPTER + "/aliases", Map.of("alias", "staging", "version", "1")));
        String query = URLDecoder.decode(refused.uri().getRawQuery(), StandardCharsets.UTF_8);
        assertTrue(query.startsWith("refused=403"), "registry-svc's 403 for a token without registry-admin: " + query);
    }

    @Test
    void signingOutEndsTheProviderSession() throws Exception {
        ProviderSession carol = new ProviderSession(ISSUER);
        assertEquals("/registry", carol.signIn(console, "carol", groups()).uri().getPath());
        HttpResponse<String> out = carol.follow(carol.post(console + "/logout", Map.of()));
        assertEquals("/login", out.uri().getPath());
        HttpResponse<String> after = carol.follow(carol.get(console + "/registry"));
        assertEquals("/login", after.uri().getPath(), "no session after signing out");
    }

    @Test
    void aPastedTokenStillSignsInBesideTheProvider() throws Exception {
        ProviderSession local = new ProviderSession(ISSUER);
        HttpResponse<String> in = local.post(console + "/login", Map.of("token", TestAuth.token(Roles.TRAINER)));
        assertEquals(303, in.statusCode());
        // The experiments page calls no service: the console's own check of the pasted token is what lets it in.
        HttpResponse<String> page = local.follow(local.get(console + "/experiments"));
        assertEquals(200, page.statusCode(), page.body());
        assertTrue(page.body().contains("<span class=\"role\">trainer</span>"));
    }
}
