package org.clinlora.cli.experiment;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.clinlora.model.data.DatasetBuilder;

/**
 * A task's fixed label list, one label per line (blank lines and {@code #} comments skipped), in the file's order: the
 * paper's code used such maps (1,266 diagnosis and 711 procedure codes) rather than the labels the training split has.
 */
final class LabelSets {
    private LabelSets() {}

    static DatasetBuilder.LabelSpace read(Path file, boolean multilabel) throws IOException {
        LinkedHashSet<String> labels = new LinkedHashSet<>();
        List<String> repeated = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) continue;
            if (!labels.add(l)) repeated.add(l);
        }
        if (labels.isEmpty()) throw new IllegalArgumentException(file + ": no labels");
        if (!repeated.isEmpty())
            throw new IllegalArgumentException(
                    file + ": labels listed twice: " + repeated.subList(0, Math.min(5, repeated.size())));
        return new DatasetBuilder.LabelSpace(List.copyOf(labels), multilabel);
    }
}
