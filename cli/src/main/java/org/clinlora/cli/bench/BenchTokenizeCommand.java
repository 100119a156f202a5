package org.clinlora.cli.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.clinlora.cli.command.CliCommand;
import org.clinlora.cli.command.CliVersion;
import org.clinlora.model.data.CsvReader;
import org.clinlora.model.data.Note;
import org.clinlora.model.data.NoteFiles;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.text.ClinicalTokenizer;
import org.clinlora.model.text.NoteNormalizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Tokenisation throughput on clinical notes: the bare DJL tokenizer, and the same with the note normaliser in front
 * (the path datasets are built with). Notes come from a MIMIC-IV-Note file or, by default, the synthetic corpus.
 */
@Command(
        name = "tokenize",
        mixinStandardHelpOptions = true,
        versionProvider = CliVersion.class,
        description = "Notes/s and MB/s of the bare tokenizer and of normaliser + tokenizer on MIMIC-IV-Note text.",
        footer = {
            "With --service (a running tokenizer-svc, e.g. http://127.0.0.1:8081, and its object store from CLINLORA_S3_*)",
            "also POST /v1/tokenize in batches of 64 and a causal-LM dataset build of the same notes."
        })
final class BenchTokenizeCommand extends CliCommand {
    @Option(
            names = "--model",
            required = true,
            paramLabel = "DIR",
            description = "a model directory with tokenizer.json")
    Path model;

    @Option(
            names = "--notes",
            paramLabel = "FILE.csv.gz",
            description = "MIMIC-IV-Note notes (default: synthetic discharge summaries)")
    String notesFile;

    @Option(names = "--rounds", defaultValue = "5", description = "timed rounds (default ${DEFAULT-VALUE})")
    int rounds;

    @Option(
            names = "--patients",
            defaultValue = "300",
            description = "synthetic patients when --notes is absent (default ${DEFAULT-VALUE})")
    int patients;

    @Option(names = "--service", paramLabel = "URL", description = "a running tokenizer-svc")
    String service;

    static final int BATCH = 64;

    @Override
    protected void execute() throws IOException {
        atLeast("--rounds", rounds, 1);
        atLeast("--patients", patients, 1);
        List<String> texts = notes();
        long bytes = texts.stream()
                .mapToLong(t -> t.getBytes(StandardCharsets.UTF_8).length)
                .sum();
        try (ClinicalTokenizer tok = ClinicalTokenizer.load(model)) {
            double[] bare = new double[rounds],
                    normalised = new double[rounds],
                    batched = new double[rounds],
                    datasetPath = new double[rounds];
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
                t0 = System.nanoTime();
                for (int i = 0; i < texts.size(); i += BATCH)
                    tok.encodeBatch(texts.subList(i, Math.min(texts.size(), i + BATCH)), true);
                batched[r] = (System.nanoTime() - t0) / 1e9;
                t0 = System.nanoTime();
                for (int i = 0; i < texts.size(); i += BATCH) {
                    tok.encodeBatch(
                            texts.subList(i, Math.min(texts.size(), i + BATCH)).stream()
                                    .map(NoteNormalizer.DEFAULT::normalize)
                                    .toList(),
                            false);
                }
                datasetPath[r] = (System.nanoTime() - t0) / 1e9;
            }
            System.out.printf(
                    "clinlora bench tokenize: %d notes, %.2f MB, %d tokens, tokenizer %s, %d rounds (median)%n",
                    texts.size(), bytes / 1e6, tokens, model, rounds);
            row("bare DJL tokenizer (ids only)", texts.size(), bytes, bare);
            row("normaliser + tokenizer, one note per call", texts.size(), bytes, normalised);
            row("batches of " + BATCH + " (ids only)", texts.size(), bytes, batched);
            row("normaliser + batches of " + BATCH + " (dataset path)", texts.size(), bytes, datasetPath);
        }
        if (service != null) BenchTokenizeService.run(service.replaceAll("/+$", ""), model, texts, bytes, rounds);
    }

    /** The --notes file's notes, else synthetic discharge summaries; at least one. */
    private List<String> notes() throws IOException {
        List<String> texts = new ArrayList<>();
        if (notesFile != null) {
            NoteFiles.readMimicNotes(Path.of(notesFile), CsvReader.OnMalformed.SKIP, (Note n) -> texts.add(n.text()));
        } else {
            for (SyntheticCorpus.Admission adm :
                    new SyntheticCorpus(new SyntheticCorpus.Settings(patients, 0.8, 1)).admissions()) {
                texts.add(adm.dischargeSummary());
            }
        }
        if (texts.isEmpty()) throw new IllegalArgumentException("no notes to tokenize");
        return texts;
    }

    static void row(String what, int notes, long bytes, double[] seconds) {
        double m = Timing.median(seconds);
        System.out.printf("RESULT %-40s %8.3f s  %9.0f notes/s  %6.2f MB/s%n", what, m, notes / m, bytes / 1e6 / m);
    }
}
