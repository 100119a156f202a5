package org.clinlora.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.clinlora.cli.bench.BenchCommand;
import org.clinlora.cli.client.CliAuth;
import org.clinlora.cli.command.CliVersion;
import org.clinlora.cli.registry.RegistryCommand;
import org.clinlora.platform.registry.RegistryClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.UsageMessageSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The Java commands behind {@code ./clinlora} (picocli): every command answers {@code -h}/{@code --help} and
 * {@code --version}; {@code --opt=value} and {@code --opt value} both work. A wrong argument, path, shape or config
 * gives one line on stderr (with a "did you mean" for a mistyped option) and exit code 2; an unexpected failure exit
 * code 1.
 */
@Command(
        name = "clinlora",
        mixinStandardHelpOptions = true,
        versionProvider = CliVersion.class,
        description =
                "LLaMA + LoRA for clinical text: models, adapters, benchmarks, the demo and the paper's experiment.",
        subcommands = {
            MakeTinyModelCommand.class,
            MakeInputsCommand.class,
            SynthNotesCommand.class,
            MakeAdapterCommand.class,
            ForwardCommand.class,
            BenchCommand.class,
            ExperimentCommand.class,
            TokenCommand.class,
            DemoCommand.class,
            ModelsCommand.class,
            AdaptersCommand.class,
            JobsCommand.class,
            RegistryCommand.class
        })
public final class Main implements Runnable {
    @Spec
    CommandSpec spec;

    public static void main(String[] argv) {
        System.exit(run(argv));
    }

    /** The command line: its exit code (0 done, 1 unexpected failure, 2 usage or input error). */
    static int run(String... argv) {
        CommandLine cli = commandLine();
        cli.setOut(new PrintWriter(System.out, true));
        cli.setErr(new PrintWriter(System.err, true));
        return cli.execute(argv);
    }

    /** The command line as {@code ./clinlora} runs it (its error handling and exit codes), for callers in tests too. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setParameterExceptionHandler(Main::usageError);
        cli.setExecutionExceptionHandler(Main::failure);
        nameTheTokenVariable(cli, Collections.newSetFromMap(new IdentityHashMap<>()));
        return cli;
    }

    /** Every command's --help ends by naming where its bearer token comes from, and what happens without one. */
    private static void nameTheTokenVariable(CommandLine cmd, Set<CommandLine> done) {
        if (!done.add(cmd)) return;
        UsageMessageSpec usage = cmd.getCommandSpec().usageMessage();
        List<String> footer = new ArrayList<>(List.of(usage.footer()));
        footer.add("Token: " + CliAuth.TOKEN_VARIABLE + " (a bearer JWT for the services); without it a local"
                + " development token with every role is minted, with a warning on stderr.");
        usage.footer(footer.toArray(String[]::new));
        for (CommandLine sub : cmd.getSubcommands().values()) nameTheTokenVariable(sub, done);
    }

    /** Without a command: the overview, and exit code 2 (nothing was done). */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
        throw new ParameterException(spec.commandLine(), "give a command (see ./clinlora --help)");
    }

    /** One line: which command, what is wrong, and for a mistyped option the closest real ones. */
    private static int usageError(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        String hint = "";
        if (e instanceof UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            hint = "; did you mean "
                    + String.join(
                            " or ",
                            u.getSuggestions()
                                    .subList(0, Math.min(3, u.getSuggestions().size()))) + "?";
        }
        cmd.getErr().println(name(cmd) + ": " + e.getMessage().strip().replace('\n', ' ') + hint);
        cmd.getErr().flush();
        return 2;
    }

    private static int failure(Exception e, CommandLine cmd, ParseResult parsed) {
        if (e instanceof RegistryClient.RegistryException refused) {
            // The registry refused (a 409 for an alias moved meanwhile, a 404, a 403): its reason, exit code 1.
            cmd.getErr()
                    .println(name(cmd) + ": registry-svc answered " + refused.status() + ": "
                            + String.valueOf(e.getMessage()).strip().replace('\n', ' '));
            cmd.getErr().flush();
            return 1;
        }
        boolean input = e instanceof IllegalArgumentException
                || e instanceof IllegalStateException
                || e instanceof IOException
                || e instanceof UncheckedIOException;
        String message = input ? String.valueOf(e.getMessage()) : e.toString();
        cmd.getErr().println(name(cmd) + ": " + message.strip().replace('\n', ' '));
        cmd.getErr().flush();
        return input ? 2 : 1;
    }

    private static String name(CommandLine cmd) {
        return cmd.getCommandSpec().qualifiedName();
    }

    /** The commands by name (the launcher's help and the tests list them). */
    static List<String> commandNames() {
        return List.copyOf(commandLine().getSubcommands().keySet());
    }
}
