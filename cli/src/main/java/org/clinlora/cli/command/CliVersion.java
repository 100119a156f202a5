package org.clinlora.cli.command;

import picocli.CommandLine.IVersionProvider;

/**
 * {@code --version} of every command: the project's version, from the jar's manifest when built, else "development".
 */
public final class CliVersion implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = CliVersion.class.getPackage().getImplementationVersion();
        return new String[] {
            "clinlora " + (v == null ? "development" : v), "DJL 0.36.0 with the PyTorch engine (libtorch 2.7.1)"
        };
    }
}
