package org.clinlora.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One person's browser as plain HTTP: a cookie jar, redirects followed one by one (so each hop can be checked), and the
 * OpenID Connect provider's login form filled in with a user name and the claims the provider is to put in the tokens
 * (mock-oauth2-server's interactive login: whatever is typed there is who signs in).
 */
final class ProviderSession {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder()
            .cookieHandler(new CookieManager())
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    private final String issuer;

    ProviderSession(String issuer) {
        this.issuer = issuer;
    }

    HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(url)).GET());
    }

    HttpResponse<String> post(String url, Map<String, String> form) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(encode(form))));
    }

    /** Follows redirects from {@code r} until a page answers; the last response (its URI says where it landed). */
    HttpResponse<String> follow(HttpResponse<String> r) throws IOException, InterruptedException {
        for (int hops = 0; hops < 10 && r.statusCode() / 100 == 3; hops++) r = get(location(r));
        return r;
    }

    static String location(HttpResponse<String> r) {
        String to = r.headers().firstValue("Location").orElseThrow(() -> new AssertionError("no Location: " + r));
        return r.uri().resolve(to).toString();
    }

    /**
     * Signs in to the console the way a person does: "Sign in with ..." on the login page, the provider's form with
     * {@code user} and {@code claims}, and back to the console; the page the console lands on.
     */
    HttpResponse<String> signIn(String console, String user, Map<String, Object> claims)
            throws IOException, InterruptedException {
        assertTrue(
                get(console + "/login").body().contains("id=\"sign-in-oidc\""), "the login page offers the provider");
        HttpResponse<String> toProvider = get(console + "/login/oidc");
        assertEquals(302, toProvider.statusCode(), "the console sends the browser to the provider");
        String authorize = location(toProvider);
        assertTrue(authorize.startsWith(issuer + "/authorize?"), authorize);
        assertTrue(get(authorize).body().contains("name=\"username\""), "the provider's login form");
        HttpResponse<String> back =
                post(authorize, Map.of("username", user, "claims", JSON.writeValueAsString(claims)));
        assertTrue(location(back).startsWith(console + "/login/oidc?"), "the provider answers with a code");
        return follow(back);
    }

    /** An access token from the provider for a client of its own (as a pipeline would hold one), by the code flow. */
    String accessToken(String user, Map<String, Object> claims) throws IOException, InterruptedException {
        String callback = "http://127.0.0.1/callback";
        String authorize = issuer + "/authorize?"
                + encode(Map.of(
                        "client_id",
                        "clinlora",
                        "response_type",
                        "code",
                        "redirect_uri",
                        callback,
                        "scope",
                        "openid",
                        "state",
                        "s",
                        "nonce",
                        "n"));
        HttpResponse<String> back =
                post(authorize, Map.of("username", user, "claims", JSON.writeValueAsString(claims)));
        String code = URI.create(location(back)).getQuery().replaceAll(".*code=([^&]*).*", "$1");
        HttpResponse<String> tokens = post(
                issuer + "/token",
                Map.of(
                        "grant_type",
                        "authorization_code",
                        "code",
                        code,
                        "redirect_uri",
                        callback,
                        "client_id",
                        "clinlora",
                        "client_secret",
                        "pipeline"));
        assertEquals(200, tokens.statusCode(), tokens.body());
        return JSON.readTree(tokens.body()).path("access_token").asText();
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static String encode(Map<String, String> form) {
        return form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    static Map<String, Object> groups(String... roles) {
        return Map.of("groups", List.of(roles));
    }
}
