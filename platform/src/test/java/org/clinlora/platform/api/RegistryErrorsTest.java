package org.clinlora.platform.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import org.clinlora.platform.registry.RegistryClient.RegistryException;
import org.junit.jupiter.api.Test;

/** What a trainer or scorer answers when its call to registry-svc fails. */
class RegistryErrorsTest {
    @Test
    void aRegistryThatCannotServeNowIsA503ToRetryNotA502() {
        // registry-svc answers 503 while its object store is down: the caller must hear "retry later", not "broken".
        for (int status : new int[] {502, 503, 504}) {
            ApiException e = RegistryErrors.toApi(new RegistryException(status, "object store unavailable"), "los@7");
            assertEquals(503, e.status(), "registry " + status);
            assertEquals("registry_unavailable", e.reason());
        }
        assertEquals(503, RegistryErrors.toApi(new IOException("connection refused"), "los@7").status());
    }

    @Test
    void otherRegistryAnswersKeepTheirMeaning() {
        assertEquals(404, RegistryErrors.toApi(new RegistryException(404, "no such version"), "los@7").status());
        assertEquals(502, RegistryErrors.toApi(new RegistryException(500, "internal"), "los@7").status());
        assertEquals("integrity_error", RegistryErrors.toApi(new RegistryException(200, "sha256 mismatch", true), "los@7").reason());
    }
}
