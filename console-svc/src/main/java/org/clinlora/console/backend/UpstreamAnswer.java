package org.clinlora.console.backend;

/**
 * A service's own refusal, passed on to the user as the service gave it: its status, reason and message (the registry's
 * 404 of an unknown adapter, its 409 of an alias moved meanwhile, a 401 for a session token that expired since
 * sign-in). The one failure whose status is not the console's to choose, so it is the console's own type rather than a
 * platform {@code Failure} kind; {@code pages/PageErrors} shows it as an error page (a 401 as the login page), or under
 * {@code /api/} as the platform's {@code Problem}.
 */
public final class UpstreamAnswer extends RuntimeException {
    private final int status;
    private final String reason;

    public UpstreamAnswer(int status, String reason, String message) {
        super(message);
        this.status = status;
        this.reason = reason;
    }

    /** The HTTP status the service answered (a 4xx, or 503), or 502 for any other failure of the service. */
    public int status() {
        return status;
    }

    /** The service's reason ({@code not_found}, {@code alias_moved}, …), for the page to show. */
    public String reason() {
        return reason;
    }

    /** The service no longer accepts the session's token (it expired meanwhile): the user signs in again. */
    public boolean sessionRefused() {
        return status == 401;
    }
}
