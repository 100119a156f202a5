package org.clinlora.core.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.function.Supplier;

/**
 * The bearer token a service (or the command line) sends when it calls another service. Read from a file — a
 * Kubernetes Secret mounted as a volume, or what the local launcher minted — and read again whenever the file
 * changes, so a rotated token is picked up without a restart. Never logged.
 */
public final class ServiceToken implements Supplier<String> {
    private final Path file;
    private final String fixed;
    private FileTime seen;
    private String token;

    private ServiceToken(Path file, String fixed) {
        this.file = file;
        this.fixed = fixed;
    }

    public static ServiceToken fromFile(Path file) {
        return new ServiceToken(file, null);
    }

    public static ServiceToken of(String token) {
        return new ServiceToken(null, token);
    }

    /** No token: calls go out without an Authorization header (the callee answers 401 where it needs one). */
    public static ServiceToken none() {
        return new ServiceToken(null, null);
    }

    @Override
    public synchronized String get() {
        if (file == null) return fixed;
        try {
            if (!Files.isRegularFile(file)) return null;
            FileTime t = Files.getLastModifiedTime(file);
            if (!t.equals(seen)) {
                token = Files.readString(file).strip();
                seen = t;
            }
            return token;
        } catch (IOException e) {
            throw new UncheckedIOException("the service token file " + file + " cannot be read", e);
        }
    }

    @Override
    public String toString() {
        return file != null ? "ServiceToken(file " + file + ")" : fixed != null ? "ServiceToken(value)" : "ServiceToken(none)";
    }
}
