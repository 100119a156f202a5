package org.clinlora.platform.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.function.Supplier;

/**
 * The bearer token a service (or the command line) sends when it calls another service. Read from a file — a Kubernetes
 * Secret mounted as a volume, or what the local launcher minted — and read again whenever the file changes, so a
 * rotated token is picked up without a restart. Never logged.
 */
public final class ServiceToken implements Supplier<String> {
    private final Path file;
    private FileTime seen;
    private String token;

    private ServiceToken(Path file) {
        this.file = file;
    }

    public static ServiceToken fromFile(Path file) {
        return new ServiceToken(file);
    }

    @Override
    public synchronized String get() {
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
        return "ServiceToken(file " + file + ")";
    }
}
