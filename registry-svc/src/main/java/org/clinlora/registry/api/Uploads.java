package org.clinlora.registry.api;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.clinlora.platform.failure.InvalidRequest;
import org.jboss.resteasy.reactive.multipart.FileUpload;

/**
 * The files of a multipart publish, by part name. A class of its own because the resources import JAX-RS's
 * {@code @Path}, which would shadow {@link Path} there.
 */
final class Uploads {
    private Uploads() {}

    /**
     * Each uploaded file by its part name, in upload order, leaving out the {@code card} part (the card is read as a
     * form field, not a file).
     *
     * @throws InvalidRequest if two parts have the same name: which one to keep would be a guess
     */
    static Map<String, Path> byName(List<FileUpload> uploads) {
        Map<String, Path> files = new LinkedHashMap<>();
        for (FileUpload u : uploads) {
            if (u.name().equals("card")) continue;
            if (files.containsKey(u.name())) throw new InvalidRequest("file '" + u.name() + "' given twice");
            files.put(u.name(), u.uploadedFile());
        }
        return files;
    }
}
