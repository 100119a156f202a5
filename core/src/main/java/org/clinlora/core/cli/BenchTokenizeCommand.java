package org.clinlora.core.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.clinlora.core.data.CsvReader;
import org.clinlora.core.data.NoteFiles;
import org.clinlora.core.data.Note;
import org.clinlora.core.data.SyntheticCorpus;
import org.clinlora.core.text.ClinicalTokenizer;
import org.clinlora.core.text.NoteNormalizer;

/**
 * Tokenisation throughput on clinical notes: the bare DJL tokenizer, and the same with the note normaliser in front
 * (the path datasets are built with). Notes come from a MIMIC-IV-Note file or, by default, the synthetic corpus.
 */
final class BenchTokenizeCommand {
    static void run(Args a) throws IOException {
        Path model = Path.of(a.required("model"));
        String notesFile = a.optional("notes", null);
        int rounds = a.intValue("rounds", 5, 1);
        int patients = a.intValue("patients", 300, 1);
        String service = a.optional("service", null);
        a.rejectUnknown();
        List<String> texts = new ArrayList<>();
        if (notesFile != null) {
            NoteFiles.readMimicNotes(Path.of(notesFile), CsvReader.OnMalformed.SKIP, (Note n) -> texts.add(n.text()));
        } else {
            for (SyntheticCorpus.Admission adm : new SyntheticCorpus(new SyntheticCorpus.Settings(patients, 0.8, 1)).admissions()) {
                texts.add(adm.dischargeSummary());
            }
        }
        if (texts.isEmpty()) throw new IllegalArgumentException("no notes to tokenize");
        long bytes = texts.stream().mapToLong(t -> t.getBytes(StandardCharsets.UTF_8).length).sum();
        try (ClinicalTokenizer tok = ClinicalTokenizer.load(model)) {
            double[] bare = new double[rounds], normalised = new double[rounds];
            long tokens = 0;
            for (String t : texts) tok.encode(t, true); // warm-up
            for (int r = 0; r < rounds; r++) {
                long t0 = System.nanoTime();
                long n = 0;
                for (String t : texts) n += tok.encode(t, true).length;
                bare[r] = (System.nanoTime() - t0) / 1e9;
                tokens = n;
                t0 = System.nanoTime();
                for (String t : texts) tok.encode(NoteNormalizer.DEFAULT.normalize(t), true);
                normalised[r] = (System.nanoTime() - t0) / 1e9;
            }
            System.out.printf("clinlora bench tokenize: %d notes, %.2f MB, %d tokens, tokenizer %s, %d rounds (median)%n",
                    texts.size(), bytes / 1e6, tokens, model, rounds);
            row("bare DJL tokenizer (ids only)", texts.size(), bytes, bare);
            row("normaliser + tokenizer (dataset path)", texts.size(), bytes, normalised);
        }
        if (service != null) BenchTokenizeService.run(service.replaceAll("/+$", ""), model, texts, bytes, rounds);
    }

    static void row(String what, int notes, long bytes, double[] seconds) {
        double m = BenchCommand.median(seconds);
        System.out.printf("RESULT %-40s %8.3f s  %9.0f notes/s  %6.2f MB/s%n", what, m, notes / m, bytes / 1e6 / m);
    }
}
