package org.clinlora.cli.experiment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.clinlora.cli.experiment.ExperimentConfig.Arm;
import org.clinlora.model.data.CsvWriter;
import org.clinlora.model.metrics.Predictions;
import org.clinlora.model.metrics.RocCurve;

/**
 * The experiment's figures as plain SVG (no script, no external asset; any browser opens them):
 *
 * <ul>
 *   <li>{@code roc-{task}.svg}: one macro-averaged ROC curve per variant — the mean, over every label of every seed's
 *       run, of the true-positive rate at each false-positive rate any of them has ({@link RocCurve#macroAverage}) —
 *       drawn as a polyline whose points are exactly those in {@code roc-{task}.csv} (variant, fpr, tpr), mapped by
 *       {@code x = 60 + 400·fpr}, {@code y = 440 − 400·tpr};
 *   <li>{@code auroc.svg}: the results table as bars, mean test macro AUROC per task and variant with ± sd whiskers.
 * </ul>
 */
final class Figures {
    static final String[] COLORS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"};
    static final double X0 = 60, Y0 = 40, SIDE = 400;

    private Figures() {}

    static void roc(Path dir, String task, Map<Arm, List<Predictions>> runs) throws IOException {
        Files.createDirectories(dir);
        StringBuilder svg = header(
                SIDE + 120,
                SIDE + 110 + 20 * runs.size(),
                "ROC, macro-averaged over labels and seeds: " + task.toUpperCase(Locale.ROOT));
        axes(svg);
        int k = 0;
        try (CsvWriter csv = new CsvWriter(dir.resolve("roc-" + task + ".csv"), List.of("variant", "fpr", "tpr"))) {
            for (var e : runs.entrySet()) {
                List<RocCurve> curves = new ArrayList<>();
                for (Predictions p : e.getValue()) {
                    for (int j = 0; j < p.labelNames().size(); j++) {
                        RocCurve c = RunFiles.curve(p, j);
                        if (c != null) curves.add(c);
                    }
                }
                if (curves.isEmpty()) continue;
                RocCurve macro = RocCurve.macroAverage(curves);
                StringBuilder pts = new StringBuilder();
                for (int i = 0; i < macro.fpr().length; i++) {
                    csv.row(List.of(e.getKey().id(), Double.toString(macro.fpr()[i]), Double.toString(macro.tpr()[i])));
                    if (i > 0) pts.append(' ');
                    pts.append(String.format(
                            Locale.ROOT, "%.3f,%.3f", X0 + SIDE * macro.fpr()[i], Y0 + SIDE - SIDE * macro.tpr()[i]));
                }
                String color = COLORS[k % COLORS.length];
                svg.append(String.format(
                        Locale.ROOT,
                        "<polyline class=\"roc\" data-variant=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"%s\"/>%n",
                        e.getKey().id(),
                        color,
                        pts));
                legend(
                        svg,
                        X0,
                        Y0 + SIDE + 60,
                        k,
                        color,
                        String.format(Locale.ROOT, "%s (area %.3f)", e.getKey().description(), macro.area()));
                k++;
            }
        }
        svg.append("</svg>\n");
        ExperimentReport.replace(dir.resolve("roc-" + task + ".svg"), svg.toString());
    }

    /** The bar chart's geometry: bars rise from {@code base} (AUROC {@code lo}) by {@code plotH} up to AUROC 1. */
    private record BarPlot(double width, double base, double plotH, double lo, double groupW, double barW) {
        double y(double auroc) {
            return base - plotH * (auroc - lo) / (1 - lo);
        }
    }

    /** {@code values.get(v)[group] = {mean, sd}}; NaN means no bar (not run yet) or no whisker (one seed). */
    static void bars(Path dir, List<String> groups, Map<Arm, double[][]> values, int seeds) throws IOException {
        double w = Math.max(500, 90.0 * groups.size() * Math.max(1, values.size()) / 2 + 120),
                h = 420,
                plotH = 300,
                base = 40 + plotH;
        StringBuilder svg =
                header(w + 320, h, "Test macro AUROC" + (seeds > 1 ? ", mean ± sd over " + seeds + " seeds" : ""));
        double groupW = (w - 80) / groups.size();
        BarPlot plot = new BarPlot(w, base, plotH, 0.5, groupW, groupW * 0.8 / Math.max(1, values.size()));
        grid(svg, plot);
        int k = 0;
        for (var e : values.entrySet()) {
            String color = COLORS[k % COLORS.length];
            for (int g = 0; g < groups.size(); g++) {
                double m = e.getValue()[g][0], sd = e.getValue()[g][1];
                if (!Double.isNaN(m)) bar(svg, plot, k, g, e.getKey().id(), groups.get(g), m, sd, color);
            }
            legend(svg, w, 50, k, color, e.getKey().description());
            k++;
        }
        for (int g = 0; g < groups.size(); g++) {
            svg.append(String.format(
                    Locale.ROOT,
                    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\">%s</text>%n",
                    60 + g * groupW + groupW / 2,
                    base + 18,
                    escape(groups.get(g))));
        }
        svg.append("</svg>\n");
        Files.createDirectories(dir);
        ExperimentReport.replace(dir.resolve("auroc.svg"), svg.toString());
    }

    /** Horizontal lines at AUROC 0.5, 0.6, ... 1.0 with their values. */
    private static void grid(StringBuilder svg, BarPlot plot) {
        for (double t = 0.5; t <= 1.0001; t += 0.1) {
            double y = plot.y(t);
            svg.append(String.format(
                    Locale.ROOT,
                    "<line x1=\"60\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"54\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">%.1f</text>%n",
                    y,
                    plot.width() - 20,
                    y,
                    y + 4,
                    t));
        }
    }

    /** Arm {@code k}'s bar in group {@code g}: the mean, with a ± sd whisker unless {@code sd} is NaN. */
    private static void bar(
            StringBuilder svg,
            BarPlot plot,
            int k,
            int g,
            String arm,
            String group,
            double m,
            double sd,
            String color) {
        double x = 60 + g * plot.groupW() + plot.groupW() * 0.1 + k * plot.barW(), top = plot.y(Math.max(plot.lo(), m));
        svg.append(String.format(
                Locale.ROOT,
                "<rect class=\"bar\" data-variant=\"%s\" data-group=\"%s\" data-mean=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>%n",
                arm,
                group,
                Double.toString(m),
                x,
                top,
                plot.barW() * 0.9,
                plot.base() - top,
                color));
        if (Double.isNaN(sd)) return;
        double y1 = plot.y(Math.max(plot.lo(), m - sd)), y2 = plot.y(Math.min(1, m + sd)), cx = x + plot.barW() * 0.45;
        svg.append(String.format(
                Locale.ROOT,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000\"/>%n",
                cx,
                y1,
                cx,
                y2));
    }

    private static StringBuilder header(double w, double h, String title) {
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\">%n",
                w,
                h,
                w,
                h));
        svg.append(String.format(Locale.ROOT, "<rect width=\"%.0f\" height=\"%.0f\" fill=\"#fff\"/>%n", w, h));
        svg.append("<text x=\"60\" y=\"24\" font-size=\"14\">")
                .append(escape(title))
                .append("</text>\n");
        return svg;
    }

    private static void axes(StringBuilder svg) {
        svg.append(String.format(
                Locale.ROOT,
                "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#000\"/>%n",
                X0,
                Y0,
                SIDE,
                SIDE));
        svg.append(String.format(
                Locale.ROOT,
                "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#bbb\" stroke-dasharray=\"4 4\"/>%n",
                X0,
                Y0 + SIDE,
                X0 + SIDE,
                Y0));
        for (int i = 0; i <= 5; i++) {
            double t = i / 5.0;
            svg.append(String.format(
                    Locale.ROOT,
                    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\">%.1f</text>%n",
                    X0 + SIDE * t,
                    Y0 + SIDE + 16,
                    t));
            svg.append(String.format(
                    Locale.ROOT,
                    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">%.1f</text>%n",
                    X0 - 6,
                    Y0 + SIDE - SIDE * t + 4,
                    t));
        }
        svg.append(String.format(
                Locale.ROOT,
                "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" font-size=\"12\">false-positive rate</text>%n",
                X0 + SIDE / 2,
                Y0 + SIDE + 36));
        svg.append(String.format(
                Locale.ROOT,
                "<text x=\"16\" y=\"%.0f\" font-size=\"12\" transform=\"rotate(-90 16 %.0f)\" text-anchor=\"middle\">true-positive rate</text>%n",
                Y0 + SIDE / 2,
                Y0 + SIDE / 2));
    }

    private static void legend(StringBuilder svg, double x, double top, int k, String color, String text) {
        double y = top + 20 * k;
        svg.append(String.format(
                Locale.ROOT,
                "<rect x=\"%.0f\" y=\"%.0f\" width=\"14\" height=\"4\" fill=\"%s\"/><text x=\"%.0f\" y=\"%.0f\" font-size=\"12\">%s</text>%n",
                x,
                y,
                color,
                x + 20,
                y + 6,
                escape(text)));
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
