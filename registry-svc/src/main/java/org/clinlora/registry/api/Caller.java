package org.clinlora.registry.api;

import jakarta.enterprise.context.RequestScoped;
import org.clinlora.platform.auth.Subjects;
import org.clinlora.platform.failure.InvalidRequest;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Who made this request, for the audit fields the registry records — a card's {@code publishedBy}, an alias move's
 * {@code movedBy}, a tombstone's {@code deletedBy}: the verified bearer token's subject, never what a body says. Read
 * here at the REST edge and handed to the domain classes as a plain string, so they never touch the security context
 * and a test can call them with any name.
 */
@RequestScoped
public class Caller {
    private final JsonWebToken jwt;

    public Caller(JsonWebToken jwt) {
        this.jwt = jwt;
    }

    /**
     * The token's {@code sub}; its principal name ({@code upn}, {@code preferred_username}) for a token without one.
     * Only verified tokens get this far, and SmallRye JWT refuses a token with neither.
     */
    public String subject() {
        return Subjects.of(jwt);
    }

    /**
     * The subject, once what the body says in {@code field} agrees with it: absent, blank or the same value is fine;
     * any other value is a 400 rather than being quietly replaced, so a pipeline that labels its publications learns at
     * once that the registry records its token's subject instead. The message names the field and the subject, never
     * the claimed value (bodies are not quoted back).
     */
    public String claimed(String field, String claimed) {
        String subject = subject();
        if (claimed != null && !claimed.isBlank() && !claimed.equals(subject)) {
            throw new InvalidRequest(field + " is recorded from the bearer token (subject '" + subject
                    + "'), and the body names someone else; leave " + field + " out");
        }
        return subject;
    }
}
