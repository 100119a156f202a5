package org.clinlora.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.clinlora.cli.bench.MarkdownTable.Column;
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
import org.clinlora.model.io.PeftAdapterDir;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.task.TaskKind;
import org.clinlora.model.text.NoteNormalizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./clinlora bench corpus}: the Clinical LoRA's dataset build (both MIMIC-IV-Note files, normalised, tokenized,
 * packed into 512-token rows, written as safetensors shards) over synthetic corpora of growing size, each build in a
 * JVM of its own: notes/s, MB/s of note text, and the peak resident memory, which must not grow with the corpus. With
 * {@code --read-only} the same JVMs only read the notes (gzip, UTF-8, CSV): the input side's rate, which the tokenizer
 * hides in a full build.
 */
@Command(
        name = "corpus",
        mixinStandardHelpOptions = true,
        versionProvider = CliVersion.class,
        description =
                "Clinical LoRA dataset build over synthetic MIMIC-IV-Note corpora of growing size: notes/s, MB/s, peak RSS.",
        footer = {
            "Each corpus (one discharge summary to five radiology reports, as MIMIC-IV-Note's 331,794 + 2,321,355 roughly are)",
            "is written once under --dir and reused; each build runs in its own JVM and its dataset is deleted after."
        })
final class BenchCorpusCommand extends CliCommand {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RESULT = "CORPUS-RESULT ";

    @Option(
            names = "--model",
            required = true,
            paramLabel = "DIR",
            description = "a model folder: its tokenizer.json and config.json (special ids)")
    Path model;

    @Option(
            names = "--notes",
            split = ",",
            defaultValue = "10000,100000,1200000",
            description = "corpus sizes in notes (default ${DEFAULT-VALUE})")
    List<Long> notes;

    @Option(
            names = "--dir",
            paramLabel = "DIR",
            description = "where the corpora are written and kept (default .run/bench-corpus)")
    Path dir;

    @Option(
            names = "--seq",
            defaultValue = "512",
            description = "row length (default ${DEFAULT-VALUE}, the Clinical LoRA's)")
    int seq;

    @Option(
            names = "--read-only",
            description = "only read the notes (gzip, UTF-8, CSV): no tokenizer, no dataset; the input side's own rate")
    boolean readOnly;

    @Option(names = "--corpus", paramLabel = "DIR", hidden = true, description = "build this corpus only, in this JVM")
    Path corpus;

    @Override
    protected void execute() throws Exception {
        atLeast("--seq", seq, 8);
        if (!Files.isRegularFile(model.resolve("tokenizer.json")))
            throw new IllegalArgumentException(model + ": no tokenizer.json");
        if (corpus != null) {
            System.out.println(RESULT + JSON.writeValueAsString(readOnly ? read(corpus) : build(corpus)));
            return;
        }
        Path root = dir != null
                ? dir
                : Path.of(System.getenv().getOrDefault("CLINLORA_ROOT", ".")).resolve(".run/bench-corpus");
        System.out.printf(
                "bench corpus: %s, %d-token rows, tokenizer %s, max heap %d MB, %d cores%n",
                readOnly ? "reading the notes only" : "causal-LM dataset build",
                seq,
                model,
                Runtime.getRuntime().maxMemory() >> 20,
                Runtime.getRuntime().availableProcessors());
        List<JsonNode> rows = new ArrayList<>();
        for (long n : notes) {
            atLeast("--notes", n, 6);
            Path c = root.resolve("notes-" + n);
            if (!Files.isRegularFile(c.resolve("radiology.csv.gz"))) {
                long t0 = System.nanoTime();
                Path tmp = root.resolve(".notes-" + n + ".writing");
                PeftAdapterDir.deleteTree(tmp);
                new SyntheticCorpus(new SyntheticCorpus.Settings(1, 0.9, 7)).writeNotes(tmp, n / 6, n - n / 6);
                Files.move(tmp, c);
                System.out.printf(
                        "  wrote %s (%d discharge + %d radiology) in %.0f s%n",
                        c, n / 6, n - n / 6, (System.nanoTime() - t0) / 1e9);
            }
            List<String> args = new ArrayList<>(List.of(
                    "bench", "corpus", "--model", model.toString(), "--seq", Integer.toString(seq), "--corpus"));
            args.add(c.toString());
            if (readOnly) args.add("--read-only");
            rows.add(ChildJvm.run(entryPoint(), RESULT, c.toString(), args));
            MarkdownTable.print(readOnly ? READ_TABLE : BUILD_TABLE, rows);
        }
    }

    private static final List<Column> BUILD_TABLE = List.of(
            Column.of("notes", "%,d", "notes"),
            Column.megabytes("note text", "%.1f MB", "text_bytes"),
            Column.megabytes("input (gzip)", "%.1f MB", "input_bytes"),
            Column.of("build", "%.1f s", "seconds"),
            Column.of("notes/s", "%,.0f", "notes_per_s"),
            Column.of("MB/s", "%.2f", "mb_per_s"),
            Column.of("tokens", "%,d", "tokens"),
            Column.of("rows", "%,d", "rows"),
            Column.megabytes("shards", "%.1f MB", "shard_bytes"),
            Column.megabytes("peak RSS", "%.0f MB", "peak_rss_bytes"),
            Column.megabytes("heap in use after the last note (after GC)", "%.1f MB", "live_heap_bytes"));

    private static final List<Column> READ_TABLE = List.of(
            Column.of("notes", "%,d", "notes"),
            Column.megabytes("note text", "%.1f MB", "text_bytes"),
            Column.megabytes("input (gzip)", "%.1f MB", "input_bytes"),
            Column.of("read", "%.1f s", "seconds"),
            Column.of("notes/s", "%,.0f", "notes_per_s"),
            Column.of("MB/s", "%.1f", "mb_per_s"),
            Column.megabytes("peak RSS", "%.0f MB", "peak_rss_bytes"),
            Column.megabytes("heap in use after (after GC)", "%.1f MB", "live_heap_bytes"));

    /** Both files read and their notes counted, nothing built: what reading the input costs on its own. */
    private static Map<String, Object> read(Path c) throws IOException {
        long[] count = {0, 0};
        long t0 = System.nanoTime();
        readNotes(c, count, n -> {});
        double seconds = Timing.secondsSince(t0);
        System.gc();
        long liveHeap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        return figures(c, count[0], count[1], seconds, Map.of("shards", List.of(), "counts", Map.of()), liveHeap);
    }

    /** One build in this JVM, as the Clinical LoRA's dataset is built (both files, split by patient). */
    private Map<String, Object> build(Path c) throws IOException {
        SpecialIds ids = LlamaConfig.read(model.resolve("config.json")).specialIds();
        Path out = c.resolveSibling(c.getFileName() + ".dataset");
        PeftAdapterDir.deleteTree(out);
        var settings = new DatasetBuilder.Settings(
                TaskKind.CAUSAL_LM,
                seq,
                NoteEncoding.Truncation.HEAD,
                NoteNormalizer.DEFAULT,
                0.05,
                0.05,
                1,
                4096,
                ids.bos(),
                ids.eos(),
                ids.pad());
        long[] count = {0, 0};
        long t0 = System.nanoTime();
        long liveHeap;
        Map<String, Object> manifest;
        try (DatasetBuilder b = new DatasetBuilder(
                "bench-corpus", settings, null, model.resolve("tokenizer.json"), DatasetSink.directory(out))) {
            addNotes(b, c, count);
            // What the build still holds once every note went through: a full collection, then the heap in use.
            System.gc();
            liveHeap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            manifest = b.commit();
        }
        double seconds = Timing.secondsSince(t0);
        PeftAdapterDir.deleteTree(out);
        return figures(c, count[0], count[1], seconds, manifest, liveHeap);
    }

    /** Both MIMIC-IV-Note files of corpus {@code c} into the build; counts notes and note bytes in {@code count}. */
    private static void addNotes(DatasetBuilder b, Path c, long[] count) throws IOException {
        readNotes(c, count, n -> {
            try {
                b.add(n.noteId(), n.subjectId(), n.text(), null);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Every note of corpus {@code c}'s two MIMIC-IV-Note files to {@code sink}; counts notes and note bytes. */
    private static void readNotes(Path c, long[] count, Consumer<Note> sink) throws IOException {
        for (String f : List.of("discharge.csv.gz", "radiology.csv.gz")) {
            NoteFiles.readMimicNotes(c.resolve(f), CsvReader.OnMalformed.FAIL, n -> {
                sink.accept(n);
                count[0]++;
                count[1] += n.text().getBytes(StandardCharsets.UTF_8).length;
            });
        }
    }

    /** The build's figures, from its manifest and this process. */
    private static Map<String, Object> figures(
            Path c, long notes, long textBytes, double seconds, Map<String, Object> manifest, long liveHeap)
            throws IOException {
        long shardBytes = 0, rows = 0, tokens = 0;
        for (Object s : (List<?>) manifest.get("shards"))
            shardBytes += ((Number) ((Map<?, ?>) s).get("bytes")).longValue();
        for (Object split : ((Map<?, ?>) manifest.get("counts")).values()) {
            rows += ((Number) ((Map<?, ?>) split).get("rows")).longValue();
            tokens += ((Number) ((Map<?, ?>) split).get("tokens")).longValue();
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("notes", notes);
        r.put("text_bytes", textBytes);
        r.put("input_bytes", Files.size(c.resolve("discharge.csv.gz")) + Files.size(c.resolve("radiology.csv.gz")));
        r.put("seconds", seconds);
        r.put("notes_per_s", notes / seconds);
        r.put("mb_per_s", textBytes / 1e6 / seconds);
        r.put("tokens", tokens);
        r.put("rows", rows);
        r.put("shard_bytes", shardBytes);
        r.put("peak_rss_bytes", ProcStatus.kib("self", "VmHWM") * 1024);
        r.put("live_heap_bytes", liveHeap);
        r.put("max_heap_bytes", Runtime.getRuntime().maxMemory());
        return r;
    }
}
