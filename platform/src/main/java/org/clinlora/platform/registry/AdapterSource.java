package org.clinlora.platform.registry;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where a service gets adapter versions from: a reference resolved with its lineage, and a version's files downloaded
 * and verified against its card. {@link RegistryClient} is the real one (registry-svc over HTTP); unit tests give their
 * own. Registry errors are {@link RegistryClient.RegistryException}s; an unreachable registry is an IOException.
 */
public interface AdapterSource {
    RegistryClient.Resolved resolve(AdapterRef ref) throws IOException;

    /** The card's files in {@code dir}, each verified against its sha256; returns {@code dir}. */
    Path download(AdapterCard card, Path dir) throws IOException;
}
