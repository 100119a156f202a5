package org.clinlora.cli.command;

import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** A command of {@code ./clinlora}: picocli fills the options, {@link #execute} does the work. */
public abstract class CliCommand implements Callable<Integer> {
    @Spec
    protected CommandSpec spec;

    @Override
    public final Integer call() throws Exception {
        execute();
        return exitCode();
    }

    /** 0, unless the command's outcome is a status of its own (jobs watch: 1 when the job failed). */
    protected int exitCode() {
        return 0;
    }

    protected abstract void execute() throws Exception;

    /** A usage error (exit code 2, one line) unless {@code ok}. */
    public void require(boolean ok, String message) {
        if (!ok) throw new ParameterException(spec.commandLine(), message);
    }

    /** {@code --name} must be at least {@code min}. */
    public void atLeast(String option, long value, long min) {
        require(value >= min, option + " must be at least " + min + ", got " + value);
    }

    /**
     * The class whose {@code main} runs this command line (the root command's), for a child JVM that runs another
     * command of it.
     */
    protected String entryPoint() {
        return spec.root().userObject().getClass().getName();
    }
}
