package org.clinlora.core.cli;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code --name value} arguments with repeatable options; unknown or malformed ones are usage errors. */
final class Args {
    private final Map<String, List<String>> values = new LinkedHashMap<>();
    private final Set<String> used = new HashSet<>();

    Args(String[] argv, int from, Set<String> flags) {
        for (int i = from; i < argv.length; i++) {
            String a = argv[i];
            if (!a.startsWith("--") || a.length() < 3) throw new UsageException("unexpected argument '" + a + "'");
            String name = a.substring(2);
            if (flags.contains(name)) {
                values.computeIfAbsent(name, k -> new ArrayList<>()).add("true");
            } else {
                if (i + 1 >= argv.length) throw new UsageException("--" + name + " needs a value");
                values.computeIfAbsent(name, k -> new ArrayList<>()).add(argv[++i]);
            }
        }
    }

    boolean has(String name) {
        used.add(name);
        return values.containsKey(name);
    }

    String required(String name) {
        String v = optional(name, null);
        if (v == null) throw new UsageException("--" + name + " is required");
        return v;
    }

    String optional(String name, String dflt) {
        used.add(name);
        List<String> v = values.get(name);
        if (v == null) return dflt;
        if (v.size() > 1) throw new UsageException("--" + name + " given more than once");
        return v.get(0);
    }

    List<String> all(String name) {
        used.add(name);
        return values.getOrDefault(name, List.of());
    }

    int intValue(String name, int dflt, int min) {
        String v = optional(name, null);
        if (v == null) return dflt;
        try {
            int n = Integer.parseInt(v);
            if (n < min) throw new UsageException("--" + name + " must be at least " + min + ", got " + n);
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be an integer, got '" + v + "'");
        }
    }

    double doubleValue(String name, double dflt) {
        String v = optional(name, null);
        if (v == null) return dflt;
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be a number, got '" + v + "'");
        }
    }

    /** Call after reading every option: anything left over is a typo the user should hear about. */
    void rejectUnknown() {
        for (String k : values.keySet()) {
            if (!used.contains(k)) throw new UsageException("unknown option --" + k);
        }
    }

    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
