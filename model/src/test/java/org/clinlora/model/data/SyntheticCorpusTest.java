package org.clinlora.model.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.clinlora.model.metrics.Auroc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticCorpusTest {
    @TempDir
    Path dir;

    @Test
    void filesReadBackThroughTheMimicAndTaskReadersAndAreMarkedSynthetic() throws IOException {
        Map<String, Integer> counts = new SyntheticCorpus(new SyntheticCorpus.Settings(40, 0.8, 3)).write(dir);
        List<Note> notes = new ArrayList<>();
        assertEquals(
                0,
                NoteFiles.readMimicNotes(
                        dir.resolve("synthetic_discharge.csv.gz"), CsvReader.OnMalformed.FAIL, notes::add));
        assertEquals(counts.get("synthetic_discharge.csv.gz"), notes.size());
        NoteFiles.readMimicNotes(dir.resolve("synthetic_radiology.csv.gz"), CsvReader.OnMalformed.FAIL, notes::add);
        for (Note n : notes) assertTrue(n.text().startsWith(SyntheticCorpus.MARK), "every note is marked synthetic");
        for (var t : SyntheticCorpus.TASKS) {
            List<TaskExample> ex = new ArrayList<>();
            NoteFiles.readTaskFile(dir.resolve("synthetic_" + t.name() + ".csv"), CsvReader.OnMalformed.FAIL, ex::add);
            assertEquals(counts.get("synthetic_discharge.csv.gz"), ex.size());
            for (TaskExample e : ex) {
                assertTrue(
                        t.labelNames().containsAll(e.labels()), t.name() + " labels in the vocabulary: " + e.labels());
                assertTrue(t.multilabel() || e.labels().size() == 1);
                assertTrue(e.subjectId() != null && e.text().startsWith(SyntheticCorpus.MARK));
            }
        }
        assertTrue(Files.readString(dir.resolve("SYNTHETIC.md")).contains("not real patient data"));
    }

    @Test
    void theSameSettingsGiveTheSameBytes() throws IOException {
        new SyntheticCorpus(new SyntheticCorpus.Settings(20, 0.7, 9)).write(dir.resolve("a"));
        new SyntheticCorpus(new SyntheticCorpus.Settings(20, 0.7, 9)).write(dir.resolve("b"));
        for (String f : List.of("synthetic_discharge.csv.gz", "synthetic_los.csv", "synthetic_diag.csv")) {
            assertArrayEquals(Files.readAllBytes(dir.resolve("a/" + f)), Files.readAllBytes(dir.resolve("b/" + f)), f);
        }
    }

    /** Scores each label by whether its own cue phrase appears: strong signal is learnable, none gives chance. */
    static double macroAurocOfCueReader(double signal) {
        List<SyntheticCorpus.Admission> adm =
                new SyntheticCorpus(new SyntheticCorpus.Settings(600, signal, 11)).admissions();
        List<Double> per = new ArrayList<>();
        for (String[] d : SyntheticCorpus.DIAG) {
            double[] s = new double[adm.size()];
            boolean[] y = new boolean[adm.size()];
            for (int i = 0; i < adm.size(); i++) {
                s[i] = adm.get(i).admissionNote().contains("history of " + d[1]) ? 1 : 0;
                y[i] = adm.get(i).diag().contains(d[0]);
            }
            double a = Auroc.of(s, y);
            if (!Double.isNaN(a)) per.add(a);
        }
        return per.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    }

    @Test
    void plantedSignalIsLearnableAtHighStrengthAndAbsentAtZero() {
        double strong = macroAurocOfCueReader(0.9), none = macroAurocOfCueReader(0.0);
        assertTrue(strong > 0.85, "signal 0.9: macro AUROC " + strong);
        assertTrue(Math.abs(none - 0.5) < 0.05, "signal 0: macro AUROC " + none);
    }

    @Test
    void aurocMatchesHandComputedValuesWithTies() {
        assertEquals(1.0, Auroc.of(new double[] {0.1, 0.9}, new boolean[] {false, true}));
        assertEquals(
                0.75, Auroc.of(new double[] {0.1, 0.4, 0.35, 0.8}, new boolean[] {false, false, true, true}), 1e-12);
        assertEquals(0.5, Auroc.of(new double[] {1, 1, 1, 1}, new boolean[] {false, true, false, true}), 1e-12);
        assertTrue(
                Double.isNaN(Auroc.of(new double[] {1, 2}, new boolean[] {true, true})),
                "single-class labels are skipped");
    }
}
