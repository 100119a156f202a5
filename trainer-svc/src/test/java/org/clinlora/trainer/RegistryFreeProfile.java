package org.clinlora.trainer;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.HashMap;
import java.util.Map;
import org.clinlora.testing.LocalServices;

/**
 * A test profile for a boot that never calls registry-svc: the module's global test resources (which start a
 * registry-svc process) stay off, so a subclass lists what it needs itself, and {@code clinlora.registry.url} names a
 * closed port rather than the default one a user's own registry may be listening on.
 */
public abstract class RegistryFreeProfile implements QuarkusTestProfile {
    /** This profile's own settings; the registry URL is added to them. */
    protected abstract Map<String, String> settings();

    @Override
    public final Map<String, String> getConfigOverrides() {
        Map<String, String> all = new HashMap<>(settings());
        all.put("clinlora.registry.url", LocalServices.NOWHERE);
        return all;
    }

    @Override
    public final boolean disableGlobalTestResources() {
        return true;
    }
}
