package org.clinlora.platform.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.io.IOException;
import org.clinlora.platform.failure.Failure;
import org.clinlora.platform.failure.IntegrityFailure;
import org.clinlora.platform.failure.NotFound;
import org.clinlora.platform.failure.Unavailable;
import org.clinlora.platform.failure.UpstreamFailure;
import org.clinlora.platform.registry.RegistryClient.RegistryException;
import org.junit.jupiter.api.Test;

/** What a trainer or scorer makes of a failed call to registry-svc. */
class RegistryFailuresTest {
    @Test
    void aRegistryThatCannotServeNowIsUnavailableToRetryNotBroken() {
        // registry-svc answers 503 while its object store is down: the caller must hear "retry later", not "broken".
        for (int status : new int[] {502, 503, 504}) {
            Failure f = RegistryFailures.of(new RegistryException(status, "object store unavailable"), "los@7");
            assertInstanceOf(Unavailable.class, f, "registry " + status);
            assertEquals("registry_unavailable", f.reason());
        }
        assertInstanceOf(Unavailable.class, RegistryFailures.of(new IOException("connection refused"), "los@7"));
    }

    @Test
    void otherRegistryAnswersKeepTheirMeaning() {
        assertInstanceOf(NotFound.class, RegistryFailures.of(new RegistryException(404, "no such version"), "los@7"));
        assertInstanceOf(UpstreamFailure.class, RegistryFailures.of(new RegistryException(500, "internal"), "los@7"));
        Failure tampered = RegistryFailures.of(new RegistryException(200, "sha256 mismatch", true), "los@7");
        assertInstanceOf(IntegrityFailure.class, tampered);
        assertEquals("integrity_error", tampered.reason());
    }
}
