package org.clinlora.cli.command;

import java.io.PrintStream;

/**
 * A progress line for the long commands: {@code [#########...........] 45% 9/20 loss 1.2345 ETA 0:12}. On a terminal it
 * redraws in place; in a log (no terminal) it prints a line at most every 10 % so logs stay short.
 */
public final class ProgressBar {
    private static final int WIDTH = 30;
    private final String label;
    private final PrintStream out;
    private final boolean terminal = System.console() != null;
    private final long started = System.nanoTime();
    private int lastTenth = -1;
    private boolean drawn;

    public ProgressBar(String label) {
        this(label, System.err);
    }

    public ProgressBar(String label, PrintStream out) {
        this.label = label;
        this.out = out;
    }

    /**
     * {@code done} of {@code total} units; {@code eta} in seconds (negative: estimated from the rate so far);
     * {@code extra} after it.
     */
    public void update(long done, long total, double eta, String extra) {
        double f = total <= 0 ? 0 : Math.min(1, (double) done / total);
        if (eta < 0) {
            double elapsed = (System.nanoTime() - started) / 1e9;
            eta = done <= 0 ? Double.NaN : elapsed * (total - done) / done;
        }
        String line = line(label, f, done, total, eta, extra);
        if (terminal) {
            out.print("\r" + line);
            out.flush();
            drawn = true;
        } else if ((int) (f * 10) != lastTenth) {
            lastTenth = (int) (f * 10);
            out.println(line);
        }
    }

    public void done(String message) {
        if (terminal && drawn) out.println();
        if (message != null) out.println(message);
    }

    static String line(String label, double fraction, long done, long total, double etaSeconds, String extra) {
        int filled = (int) Math.round(fraction * WIDTH);
        return String.format(
                "%s [%s%s] %3d%%  %d/%d%s  ETA %s",
                label,
                "#".repeat(filled),
                ".".repeat(WIDTH - filled),
                Math.round(fraction * 100),
                done,
                total,
                extra == null || extra.isEmpty() ? "" : "  " + extra,
                duration(etaSeconds));
    }

    static String duration(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) return "--:--";
        long s = Math.round(seconds);
        return s >= 3600
                ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format("%d:%02d", s / 60, s % 60);
    }
}
