package org.clinlora.core.model;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** Test resources as paths (they live in target/test-classes once Maven has copied them). */
public final class TestResources {
    private TestResources() {}

    public static Path path(String name) {
        try {
            return Path.of(TestResources.class.getClassLoader().getResource(name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resource " + name, e);
        }
    }
}
