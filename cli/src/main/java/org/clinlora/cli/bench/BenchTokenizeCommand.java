package org.clinlora.cli.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.clinlora.cli.command.CliCommand;
import org.clinlora.cli.command.CliVersion;
import org.clinlora.model.base.SpecialIds;
import org.clinlora.model.data.CsvReader;
import org.clinlora.model.data.DatasetBuilder;
import org.clinlora.model.data.DatasetSink;
import org.clinlora.model.data.Note;
import org.clinlora.model.data.NoteEncoding;
import org.clinlora.model.data.NoteFiles;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.task.TaskKind;
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

    @Option(
            names = "--sentencepiece",
            paramLabel = "tokenizer.model",
            description = "the same tokenizer's sentencepiece model: also time sentencepiece's C++ encoder on the"
                    + " same notes (python3 with python3-sentencepiece) and check its ids")
    Path sentencepiece;

    @Option(names = "--python", defaultValue = "python3", description = "the Python for --sentencepiece")
    String python;

    static final int BATCH = 64;

    @Override
    protected void execute() throws IOException, InterruptedException {
        atLeast("--rounds", rounds, 1);
        atLeast("--patients", patients, 1);
        List<String> texts = notes();
        long bytes = texts.stream()
                .mapToLong(t -> t.getBytes(StandardCharsets.UTF_8).length)
                .sum();
        List<long[]> ids = idsAgree(texts, bytes);
        double anchor = Double.NaN;
        if (sentencepiece != null) {
            SentencePieceAnchor.Result sp = SentencePieceAnchor.run(python, sentencepiece, texts, ids, rounds);
            System.out.printf(
                    "sentencepiece %s (%d pieces): ids equal the bench's on %d of %d notes (no BOS)%n",
                    sentencepiece, sp.pieces(), sp.agree(), sp.notes());
            anchor = bytes / 1e6 / sp.batchSeconds();
            row(
                    "sentencepiece C++, batch encode (anchor)",
                    texts.size(),
                    bytes,
                    new double[] {sp.batchSeconds()},
                    anchor);
            row("sentencepiece C++, one note per call", texts.size(), bytes, new double[] {sp.oneSeconds()}, anchor);
        }
        final double vs = anchor;
        row(
                "one note per call, native (no word cache)",
                texts.size(),
                bytes,
                rounds(false, t -> oneByOne(t, texts, false)),
                vs);
        row("one note per call", texts.size(), bytes, rounds(true, t -> oneByOne(t, texts, false)), vs);
        row("normaliser + one note per call", texts.size(), bytes, rounds(true, t -> oneByOne(t, texts, true)), vs);
        row(
                "batches of " + BATCH + ", native (no word cache)",
                texts.size(),
                bytes,
                rounds(false, t -> batches(t, texts)),
                vs);
        row("batches of " + BATCH + " (ids only)", texts.size(), bytes, rounds(true, t -> batches(t, texts)), vs);
        row("dataset path: normaliser + tokenizer + packing", texts.size(), bytes, datasetRounds(texts, false), vs);
        row("dataset path, the word cache warm (as in a service)", texts.size(), bytes, datasetRounds(texts, true), vs);
        if (service != null) BenchTokenizeService.run(service.replaceAll("/+$", ""), model, texts, bytes, rounds, vs);
    }

    /** The word cache's ids of every note, checked against the native tokenizer's; printed, and returned. */
    private List<long[]> idsAgree(List<String> texts, long bytes) throws IOException {
        try (ClinicalTokenizer cached = ClinicalTokenizer.load(model);
                ClinicalTokenizer plain = ClinicalTokenizer.load(model, false)) {
            long[][] ids = cached.encodeBatch(texts, false);
            long[][] expected = plain.encodeBatch(texts, false);
            int agree = 0;
            long tokens = 0;
            for (int i = 0; i < ids.length; i++) {
                if (Arrays.equals(ids[i], expected[i])) agree++;
                tokens += ids[i].length;
            }
            System.out.printf(
                    "clinlora bench tokenize: %d notes, %.2f MB, %d tokens, tokenizer %s, %d rounds (median), each"
                            + " round with a fresh tokenizer (the word cache starts empty)%n",
                    texts.size(), bytes / 1e6, tokens, model, rounds);
            System.out.printf(
                    "word cache: %s; ids equal the native tokenizer's on %d of %d notes%n",
                    cached.cachesWords() ? "on (LLaMA-style tokenizer)" : "off (not a LLaMA-style tokenizer)",
                    agree,
                    texts.size());
            if (agree != texts.size()) throw new IllegalStateException("the word cache changed the ids of some notes");
            return List.of(ids);
        }
    }

    /** Seconds of each round of {@code work}, each on a freshly loaded tokenizer (loading is not timed). */
    private double[] rounds(boolean cacheWords, Consumer<ClinicalTokenizer> work) throws IOException {
        try (ClinicalTokenizer warm = ClinicalTokenizer.load(model, cacheWords)) {
            work.accept(warm);
        }
        double[] seconds = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            try (ClinicalTokenizer tok = ClinicalTokenizer.load(model, cacheWords)) {
                long t0 = System.nanoTime();
                work.accept(tok);
                seconds[r] = Timing.secondsSince(t0);
            }
        }
        return seconds;
    }

    private static void oneByOne(ClinicalTokenizer tok, List<String> texts, boolean normalise) {
        for (String t : texts) tok.encode(normalise ? NoteNormalizer.DEFAULT.normalize(t) : t, true);
    }

    private static void batches(ClinicalTokenizer tok, List<String> texts) {
        for (int i = 0; i < texts.size(); i += BATCH)
            tok.encodeBatch(texts.subList(i, Math.min(texts.size(), i + BATCH)), true);
    }

    /**
     * Seconds of each causal-LM dataset build of the notes in this process, what tokenizer-svc and the CLI run
     * (normalise, tokenize in batches, pack into 512-token rows, split, serialise the shards), the files discarded.
     * Each build loads its tokenizer (not timed), or with {@code warm} all share one, as tokenizer-svc's builds do.
     */
    private double[] datasetRounds(List<String> texts, boolean warm) throws IOException {
        SpecialIds special = LlamaConfig.read(model.resolve("config.json")).specialIds();
        var settings = new DatasetBuilder.Settings(
                TaskKind.CAUSAL_LM,
                512,
                NoteEncoding.Truncation.HEAD,
                NoteNormalizer.DEFAULT,
                0.05,
                0.05,
                1,
                4096,
                special.bos(),
                special.eos(),
                special.pad());
        double[] seconds = new double[rounds];
        try (ClinicalTokenizer shared = warm ? ClinicalTokenizer.load(model) : null) {
            for (int r = -1; r < rounds; r++) {
                try (DatasetBuilder b = warm
                        ? new DatasetBuilder("bench-tokenize", settings, null, shared, "-", DISCARD)
                        : new DatasetBuilder("bench-tokenize", settings, null, model, DISCARD)) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < texts.size(); i++) b.add("n" + i, "p" + i, texts.get(i), null);
                    b.commit();
                    if (r >= 0) seconds[r] = Timing.secondsSince(t0);
                }
            }
        }
        return seconds;
    }

    /** A dataset sink that keeps nothing: the bench times the build, not the disk. */
    private static final DatasetSink DISCARD = new DatasetSink() {
        public void put(String file, byte[] data) {}

        public void commit(byte[] manifest) {}

        public void abort() {}
    };

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

    /** One figure; with an anchor (MB/s of sentencepiece's batch encode), also the ratio to it. */
    static void row(String what, int notes, long bytes, double[] seconds, double anchorMbPerSecond) {
        double m = Timing.median(seconds), mbps = bytes / 1e6 / m;
        System.out.printf(
                "RESULT %-48s %8.3f s  %9.0f notes/s  %6.2f MB/s%s%n",
                what,
                m,
                notes / m,
                mbps,
                Double.isNaN(anchorMbPerSecond)
                        ? ""
                        : String.format("  %5.2f x sentencepiece", mbps / anchorMbPerSecond));
    }
}
