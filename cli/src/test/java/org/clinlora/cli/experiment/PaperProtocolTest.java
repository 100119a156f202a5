package org.clinlora.cli.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.clinlora.cli.experiment.ExperimentConfig.Variant;
import org.clinlora.model.data.CsvReader;
import org.clinlora.model.data.CsvWriter;
import org.clinlora.model.data.SyntheticCorpus;
import org.clinlora.model.data.TokenDataset;
import org.clinlora.model.metrics.PairedBootstrap;
import org.clinlora.model.metrics.RocCurve;
import org.clinlora.model.train.Trainer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The paper's protocol on the paper's own file layouts: CORe's {@code {TASK}_adm_{train,val,test}.csv} and BEEP's
 * {@code pmv_{train,dev,test}.csv}, made from the synthetic corpus, run as given — three seeds, best epoch on
 * validation, bootstrap against the fused variant — and everything a reviewer recomputes from checked against the
 * table.
 */
class PaperProtocolTest {
    @TempDir
    static Path dir;

    static ExperimentConfig config;
    static ExperimentReport report;
    static Path out;
    static final String TEST_ONLY_CODE = "E8889";

    @BeforeAll
    static void runOnce() throws IOException {
        SyntheticCorpus corpus = new SyntheticCorpus(new SyntheticCorpus.Settings(120, 0.9, 5));
        corpus.write(dir.resolve("c"));
        corpus.writeRecipes(dir.resolve("r"));
        // A code only the test split has, as real recipes' rare codes do: reported, never silently dropped.
        Path diagTest = dir.resolve("r/core/DIA_PLUS_adm_test.csv");
        List<List<String>> rows = read(diagTest);
        try (CsvWriter w = new CsvWriter(diagTest, List.of("id", "text", "labels"))) {
            for (int i = 0; i < rows.size(); i++) {
                List<String> r = rows.get(i);
                w.row(List.of(r.get(0), r.get(1), i < 3 ? r.get(2) + "," + TEST_ONLY_CODE : r.get(2)));
            }
        }
        Path f = dir.resolve("protocol.json");
        Files.writeString(f, """
                {"name": "protocol",
                 "tinyModel": {"vocab": 2000, "hidden": 32, "layers": 1, "heads": 2, "kvHeads": 1},
                 "notes": ["c/synthetic_discharge.csv.gz", "c/synthetic_radiology.csv.gz"],
                 "taskFiles": {
                   "los":  {"train": "r/core/LOS_WEEKS_adm_train.csv", "validation": "r/core/LOS_WEEKS_adm_val.csv", "test": "r/core/LOS_WEEKS_adm_test.csv", "format": "core"},
                   "mor":  {"train": "r/core/MP_IN_adm_train.csv", "validation": "r/core/MP_IN_adm_val.csv", "test": "r/core/MP_IN_adm_test.csv", "format": "core"},
                   "diag": {"train": "r/core/DIA_PLUS_adm_train.csv", "validation": "r/core/DIA_PLUS_adm_val.csv", "test": "r/core/DIA_PLUS_adm_test.csv", "format": "core"},
                   "pmv":  {"train": "r/beep/pmv_train.csv", "validation": "r/beep/pmv_dev.csv", "test": "r/beep/pmv_test.csv", "format": "beep"}},
                 "variants": ["downstream", "clinical_frozen"],
                 "seeds": [1, 2, 3],
                 "bootstrap": {"resamples": 200, "seed": 7},
                 "clinical": {"seqLen": 32, "optim": {"learningRate": 0.01, "batchSize": 8, "gradientAccumulation": 1, "warmupRatio": 0.0, "maxSteps": 6}},
                 "downstream": {"seqLen": 96, "optim": {"learningRate": 0.01, "batchSize": 16, "epochs": 3}}}
                """);
        config = ExperimentConfig.read(f);
        out = dir.resolve("out");
        report = new Experiment(config, out, ExperimentTest.QUIET).run();
    }

    @Test
    void theGivenSplitsAreUsedAsTheyAreRowForRow() throws IOException {
        Map<String, List<String>> files = Map.of(
                "los",
                List.of(
                        "r/core/LOS_WEEKS_adm_train.csv",
                        "r/core/LOS_WEEKS_adm_val.csv",
                        "r/core/LOS_WEEKS_adm_test.csv"),
                "mor",
                List.of("r/core/MP_IN_adm_train.csv", "r/core/MP_IN_adm_val.csv", "r/core/MP_IN_adm_test.csv"),
                "diag",
                List.of("r/core/DIA_PLUS_adm_train.csv", "r/core/DIA_PLUS_adm_val.csv", "r/core/DIA_PLUS_adm_test.csv"),
                "pmv",
                List.of("r/beep/pmv_train.csv", "r/beep/pmv_dev.csv", "r/beep/pmv_test.csv"));
        List<String> splits = List.of("train", "validation", "test");
        for (var task : files.entrySet()) {
            TokenDataset ds =
                    TokenDataset.openLocal(out.resolve("datasets").resolve(task.getKey()), dir.resolve("cache"));
            assertEquals("given", ds.manifest().path("split").path("by").asText());
            for (int s = 0; s < 3; s++) {
                List<String> fileIds = read(dir.resolve(task.getValue().get(s))).stream()
                        .map(r -> r.get(0))
                        .toList();
                List<String> datasetIds = new ArrayList<>();
                for (TokenDataset.Shard sh : ds.shards(splits.get(s)))
                    datasetIds.addAll(ds.load(sh).ids());
                assertEquals(
                        fileIds,
                        datasetIds,
                        task.getKey() + " " + splits.get(s) + ": every row of the file, in its order, nothing moved");
                assertEquals(
                        fileIds.size(), report.taskData(task.getKey()).rows().get(splits.get(s)));
            }
            // Every run's predictions are the test file's rows, in order.
            List<String> testIds = read(dir.resolve(task.getValue().get(2))).stream()
                    .map(r -> r.get(0))
                    .toList();
            for (Variant v : config.variantList()) {
                for (long seed : config.seeds()) {
                    List<List<String>> pred = read(out.resolve("runs")
                            .resolve(task.getKey())
                            .resolve(v.id)
                            .resolve("seed-" + seed)
                            .resolve("predictions.csv"));
                    assertEquals(testIds, pred.stream().map(r -> r.get(0)).toList());
                }
                for (ExperimentReport.Run r : report.runsOf(task.getKey(), v))
                    assertEquals(testIds.size(), r.result().test().get("rows").intValue());
            }
            assertEquals(0, report.taskData(task.getKey()).idsInSeveralSplits());
        }
        // The labels come from the training split: the recipe's CORe codes, not the test-only one.
        TokenDataset diag = TokenDataset.openLocal(out.resolve("datasets/diag"), dir.resolve("cache"));
        assertFalse(diag.labelNames().contains(TEST_ONLY_CODE));
        assertEquals(
                List.of("0", "1"),
                TokenDataset.openLocal(out.resolve("datasets/pmv"), dir.resolve("cache"))
                        .labelNames());
        assertEquals(
                List.of("0", "1", "2", "3"),
                TokenDataset.openLocal(out.resolve("datasets/los"), dir.resolve("cache"))
                        .labelNames(),
                "CORe's four LOS bins");
    }

    @Test
    void labelsOnlyInTheTestSplitAreReportedNotDropped() throws IOException {
        ExperimentReport.Unseen u = report.taskData("diag").unseenLabels().get("test");
        assertNotNull(u, "the test-only code is counted");
        assertEquals(3, u.rows());
        assertEquals(Map.of(TEST_ONLY_CODE, 3L), u.labels());
        String md = Files.readString(out.resolve("results.md"));
        assertTrue(md.contains("test: 1 label(s) in 3 row(s) [" + TEST_ONLY_CODE + "]"), md);
        // The three rows are still predicted (they count for the labels the model has).
        List<List<String>> pred = read(out.resolve("runs/diag/downstream/seed-1/predictions.csv"));
        List<List<String>> test = read(dir.resolve("r/core/DIA_PLUS_adm_test.csv"));
        assertEquals(test.size(), pred.size());
    }

    @Test
    void threeSeedsGiveMeanSdAndReproducibleBootstrapIntervals() throws IOException {
        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        assertEquals(
                1 + 1 + 4 * 2 * 3, csv.size(), "header, the Clinical LoRA, then one row per task x variant x seed");
        String md = Files.readString(out.resolve("results.md"));
        assertTrue(md.contains("mean ± sd over 3 seeds"), md);
        for (Variant v : config.variantList()) {
            for (String task : config.tasks()) {
                List<ExperimentReport.Run> runs = report.runsOf(task, v);
                assertEquals(3, runs.size());
                double mean = runs.stream()
                        .mapToDouble(ExperimentReport.Run::testAuroc)
                        .average()
                        .orElseThrow();
                assertEquals(mean, report.auroc(task, v), 1e-12);
                assertTrue(
                        md.contains(String.format(
                                Locale.ROOT, "%.3f ± %.3f", report.auroc(task, v), report.aurocSd(task, v))),
                        task + " " + v);
                for (ExperimentReport.Run r : runs) {
                    assertNotNull(r.result().selected(), "downstream runs keep their best epoch");
                    double best = r.result().epochs().stream()
                            .mapToDouble(Trainer_EpochScore::score)
                            .max()
                            .orElseThrow();
                    assertEquals(
                            best,
                            r.result().selected().validationMacroAuroc(),
                            0.0,
                            "the kept epoch is the best on validation");
                }
            }
        }
        assertEquals(Variant.CLINICAL_FROZEN, config.reference(), "the fused variant is the reference");
        Map<String, PairedBootstrap.Interval> first = new LinkedHashMap<>();
        for (String task : config.tasks()) {
            PairedBootstrap.Interval i = report.interval(task, Variant.DOWNSTREAM);
            assertNotNull(i, task);
            assertEquals(200, i.resamples());
            assertTrue(i.low() <= i.high());
            double observed = report.auroc(task, Variant.DOWNSTREAM) - report.auroc(task, Variant.CLINICAL_FROZEN);
            assertEquals(observed, i.observed(), 1e-9, "the point estimate is the difference of the table's means");
            first.put(task, i);
            assertTrue(md.contains(String.format(Locale.ROOT, "[%+.4f, %+.4f]", i.low(), i.high())), md);
        }
        ExperimentReport again = new Experiment(config, out, ExperimentTest.QUIET).run();
        for (String task : config.tasks())
            assertEquals(first.get(task), again.interval(task, Variant.DOWNSTREAM), "bit for bit with the same seeds");
        assertEquals(
                bootstrapLines(md),
                bootstrapLines(Files.readString(out.resolve("results.md"))),
                "the same bootstrap table");
        assertEquals(4, bootstrapLines(md).size());
    }

    @Test
    void rocPointsRecomputeTheTableAndTheSvgCurvesAreThePoints() throws Exception {
        for (String task : config.tasks()) {
            // Per run: the area under each label's ROC points, averaged, is the reported test macro AUROC.
            for (ExperimentReport.Run r : report.runsOf(task, Variant.DOWNSTREAM)) {
                Map<String, List<double[]>> byLabel = new LinkedHashMap<>();
                for (List<String> row : read(report.runDir(r).resolve("roc.csv"))) {
                    byLabel.computeIfAbsent(row.get(0), k -> new ArrayList<>())
                            .add(new double[] {Double.parseDouble(row.get(2)), Double.parseDouble(row.get(3))});
                }
                double sum = 0;
                for (List<double[]> pts : byLabel.values()) {
                    double[] f = pts.stream().mapToDouble(p -> p[0]).toArray(),
                            t = pts.stream().mapToDouble(p -> p[1]).toArray();
                    sum += new RocCurve(f, t, new double[f.length]).area();
                }
                assertEquals(r.testAuroc(), sum / byLabel.size(), 1e-9, task + " seed " + r.seed());
                assertEquals(r.result().test().get("labels_scored").intValue(), byLabel.size());
            }
            // The figure: an SVG (well-formed XML) whose polylines are the CSV's points under the stated mapping.
            Map<String, List<double[]>> csv = new HashMap<>();
            for (List<String> row : read(out.resolve("figures/roc-" + task + ".csv"))) {
                csv.computeIfAbsent(row.get(0), k -> new ArrayList<>())
                        .add(new double[] {Double.parseDouble(row.get(1)), Double.parseDouble(row.get(2))});
            }
            var doc = DocumentBuilderFactory.newInstance()
                    .newDocumentBuilder()
                    .parse(out.resolve("figures/roc-" + task + ".svg").toFile());
            assertEquals("svg", doc.getDocumentElement().getTagName());
            NodeList lines = doc.getElementsByTagName("polyline");
            assertEquals(config.variantList().size(), lines.getLength());
            for (int i = 0; i < lines.getLength(); i++) {
                Element e = (Element) lines.item(i);
                List<double[]> expected = csv.get(e.getAttribute("data-variant"));
                String[] pts = e.getAttribute("points").trim().split(" ");
                assertEquals(expected.size(), pts.length);
                for (int k = 0; k < pts.length; k++) {
                    String[] xy = pts[k].split(",");
                    double fpr = (Double.parseDouble(xy[0]) - Figures.X0) / Figures.SIDE,
                            tpr = (Figures.Y0 + Figures.SIDE - Double.parseDouble(xy[1])) / Figures.SIDE;
                    assertEquals(expected.get(k)[0], fpr, 2e-6, "fpr of point " + k);
                    assertEquals(expected.get(k)[1], tpr, 2e-6, "tpr of point " + k);
                }
                assertEquals(0.0, expected.get(0)[0]);
                assertEquals(1.0, expected.get(expected.size() - 1)[0]);
            }
        }
        var bars = DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(out.resolve("figures/auroc.svg").toFile());
        NodeList rects = bars.getElementsByTagName("rect");
        int drawn = 0;
        for (int i = 0; i < rects.getLength(); i++) {
            Element e = (Element) rects.item(i);
            if (!"bar".equals(e.getAttribute("class"))) continue;
            drawn++;
            Variant v = Variant.of(e.getAttribute("data-variant"));
            String g = e.getAttribute("data-group");
            double expected =
                    g.equals("average") ? report.averageAuroc(v) : report.auroc(g.toLowerCase(Locale.ROOT), v);
            assertEquals(expected, Double.parseDouble(e.getAttribute("data-mean")), 0.0);
        }
        assertEquals(config.variantList().size() * (config.tasks().size() + 1), drawn);
    }

    private interface Trainer_EpochScore {
        static double score(Trainer.EpochScore e) {
            return Double.isNaN(e.validationMacroAuroc()) ? Double.NEGATIVE_INFINITY : e.validationMacroAuroc();
        }
    }

    private static List<String> bootstrapLines(String md) {
        return md.lines()
                .filter(l -> l.contains("| Downstream LoRA on the bare base | ") && l.contains(", ") && l.contains("%"))
                .toList();
    }

    static List<List<String>> read(Path csv) throws IOException {
        List<List<String>> rows = new ArrayList<>();
        try (CsvReader r = CsvReader.open(csv, CsvReader.OnMalformed.FAIL)) {
            List<String> header = r.header();
            while (r.hasNext()) {
                CsvReader.Row row = r.next();
                rows.add(header.stream().map(row::get).toList());
            }
        }
        return rows;
    }
}
