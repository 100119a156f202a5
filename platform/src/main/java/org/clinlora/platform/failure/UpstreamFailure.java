package org.clinlora.platform.failure;

/** A service this one called answered with an error that is neither "not found" nor "try later". */
public final class UpstreamFailure extends Failure {
    public UpstreamFailure(String reason, String message) {
        super(reason, message);
    }
}
