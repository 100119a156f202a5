package org.clinlora.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** A command of {@code ./clinlora}: picocli fills the options, {@link #execute} does the work. */
abstract class CliCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public final Integer call() throws Exception {
        execute();
        return exitCode();
    }

    /** 0, unless the command's outcome is a status of its own (jobs watch: 1 when the job failed). */
    int exitCode() {
        return 0;
    }

    abstract void execute() throws Exception;

    /** A usage error (exit code 2, one line) unless {@code ok}. */
    void require(boolean ok, String message) {
        if (!ok) throw new ParameterException(spec.commandLine(), message);
    }

    /** {@code --name} must be at least {@code min}. */
    void atLeast(String option, long value, long min) {
        require(value >= min, option + " must be at least " + min + ", got " + value);
    }
}
