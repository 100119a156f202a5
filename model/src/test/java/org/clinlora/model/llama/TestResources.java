package org.clinlora.model.llama;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The model library's test resources as paths: from target/test-classes in this module, and from the source tree
 * (through {@code clinlora.root}, set by the build) when another module's tests see them inside the test-jar.
 */
public final class TestResources {
    private TestResources() {}

    public static Path path(String name) {
        URL url = TestResources.class.getClassLoader().getResource(name);
        if (url == null) throw new IllegalStateException("missing test resource " + name);
        if (url.getProtocol().equals("file")) {
            try {
                return Path.of(url.toURI());
            } catch (URISyntaxException e) {
                throw new IllegalStateException("test resource " + name + ": " + e.getMessage(), e);
            }
        }
        Path inTree = Path.of(System.getProperty("clinlora.root", "."), "model", "src", "test", "resources", name);
        if (!Files.exists(inTree))
            throw new IllegalStateException("test resource " + name + " is in a jar and not at " + inTree);
        return inTree;
    }
}
