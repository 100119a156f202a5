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
import org.clinlora.console.ConsoleConfig;

/**
 * Signing in: the user pastes a bearer token (from the identity provider, or {@code ./clinlora token} locally); it is
 * kept in an HttpOnly, SameSite=Strict session cookie and checked on every page exactly as the services check a bearer
 * token (signature, issuer, audience, expiry, age, issued-at). SameSite=Strict keeps other sites from posting the
 * console's forms with it.
 */
@Path("/")
@PermitAll
public class LoginPage {
    public static final String COOKIE = "clinlora_token";

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
        return login.data("message", message);
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
        return Response.seeOther(URI.create("/login")).cookie(cookie("", 0)).build();
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
