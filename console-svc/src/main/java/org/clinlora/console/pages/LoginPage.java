package org.clinlora.console.pages;

import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import jakarta.annotation.security.PermitAll;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import org.clinlora.console.ConsoleConfig;
import org.clinlora.console.OidcSwitch;

/**
 * Signing in: the user pastes a bearer token (from the identity provider, or {@code ./clinlora token} locally); it is
 * kept in an HttpOnly, SameSite=Strict session cookie and checked on every page exactly as the services check a bearer
 * token (signature, issuer, audience, expiry, age, issued-at). SameSite=Strict keeps other sites from posting the
 * console's forms with it.
 *
 * <p>Where an OpenID Connect provider is configured ({@code CLINLORA_OIDC_ISSUER}), the page also offers signing in
 * there: {@code /login/oidc} needs the authorization code mechanism, so the first visit goes to the provider and the
 * provider sends the browser back to it with the code; the tokens are then in quarkus-oidc's session cookie.
 */
@Path("/")
@PermitAll
public class LoginPage {
    public static final String COOKIE = "clinlora_token";
    /** quarkus-oidc's session cookie of the default tenant, and the chunks it is split into (split tokens). */
    static final List<String> OIDC_SESSION_COOKIES =
            List.of("q_session", "q_session_chunk_1", "q_session_chunk_2", "q_session_at", "q_session_rt");

    private final Template login;
    private final ConsoleConfig config;

    public LoginPage(Template login, ConsoleConfig config) {
        this.login = login;
        this.config = config;
    }

    @GET
    @Produces(MediaType.TEXT_HTML)
    public Response root() {
        return Response.seeOther(URI.create("/registry")).build();
    }

    @GET
    @Path("login")
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance form(@QueryParam("reason") String reason) {
        String message =
                switch (reason == null ? "" : reason) {
                    case "expired" -> "Your session has ended or the token was not accepted; sign in again.";
                    case "malformed" -> "That is not a JWT (three base64url parts separated by dots).";
                    default -> null;
                };
        return login.data("message", message).data("oidc", OidcSwitch.issuerConfigured());
    }

    /** Back from the provider, signed in (the code mechanism has exchanged the code and set the session). */
    @GET
    @Path("login/oidc")
    public Response signedInThroughProvider() {
        return Response.seeOther(URI.create("/registry")).build();
    }

    @POST
    @Path("login")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response signIn(@FormParam("token") String token) {
        String t = token == null ? "" : token.strip();
        if (t.startsWith("Bearer ")) t = t.substring(7).strip();
        if (!t.matches("[A-Za-z0-9_\\-]+\\.[A-Za-z0-9_\\-]+\\.[A-Za-z0-9_\\-]*") || t.length() > 16384) {
            return Response.seeOther(URI.create("/login?reason=malformed")).build(); // never echoed back
        }
        // The token is verified by the first page it opens (the services' own rules); a refused one comes back here.
        return Response.seeOther(URI.create("/registry")).cookie(cookie(t, -1)).build();
    }

    @POST
    @Path("logout")
    public Response signOut() {
        // Both ways of signing in end here: the pasted token's cookie and the provider session's cookies go.
        NewCookie[] expired = new NewCookie[OIDC_SESSION_COOKIES.size() + 1];
        expired[0] = cookie("", 0);
        for (int i = 0; i < OIDC_SESSION_COOKIES.size(); i++) expired[i + 1] = expired(OIDC_SESSION_COOKIES.get(i));
        return Response.seeOther(URI.create("/login")).cookie(expired).build();
    }

    private NewCookie expired(String name) {
        return new NewCookie.Builder(name)
                .value("")
                .path("/")
                .httpOnly(true)
                .secure(config.secureCookie())
                .maxAge(0)
                .build();
    }

    private NewCookie cookie(String value, int maxAge) {
        return new NewCookie.Builder(COOKIE)
                .value(value)
                .path("/")
                .httpOnly(true)
                .secure(config.secureCookie())
                .sameSite(NewCookie.SameSite.STRICT)
                .maxAge(maxAge)
                .build();
    }
}
