package org.clinlora.console.pages;

import io.quarkus.qute.TemplateExtension;
import java.util.Locale;

/**
 * How pages print values: {@code {x.fmt}} gives a number with four decimals (integers as they are), anything else as it
 * is.
 */
@TemplateExtension
public final class Formats {
    private Formats() {}

    static String fmt(Object value) {
        if (value == null) return "";
        if (value instanceof Number n) {
            double d = n.doubleValue();
            if (d == Math.rint(d) && Math.abs(d) < 1e15) return String.valueOf((long) d);
            return Math.abs(d) >= 1e-3 || d == 0
                    ? String.format(Locale.ROOT, "%.4f", d)
                    : String.format(Locale.ROOT, "%.3e", d);
        }
        return value.toString();
    }
}
