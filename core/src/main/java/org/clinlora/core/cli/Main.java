package org.clinlora.core.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The command line behind {@code ./clinlora}: every command answers {@code --help}; a wrong argument, path, shape or
 * config gives one line on stderr and exit code 2.
 */
public final class Main {

    interface Command {
        String usage();

        void run(String[] argv) throws IOException;
    }

    static final Map<String, Command> COMMANDS = new java.util.LinkedHashMap<>();

    static {
        COMMANDS.put("make-tiny-model", new MakeTinyModelCommand());
        COMMANDS.put("make-inputs", new MakeInputsCommand());
        COMMANDS.put("synth-notes", new SynthNotesCommand());
        COMMANDS.put("make-adapter", new MakeAdapterCommand());
        COMMANDS.put("forward", new ForwardCommand());
        COMMANDS.put("bench", new BenchCommand());
        COMMANDS.put("experiment", new ExperimentCommand());
        COMMANDS.put("token", new TokenCommand());
        COMMANDS.put("demo-run", new DemoCommand());
    }

    private Main() {}

    public static void main(String[] argv) {
        System.exit(run(argv));
    }

    static int run(String[] argv) {
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h")) {
            System.out.println(overview());
            return argv.length == 0 ? 2 : 0;
        }
        Command c = COMMANDS.get(argv[0]);
        if (c == null) {
            System.err.println("clinlora: unknown command '" + argv[0] + "' (see ./clinlora --help)");
            return 2;
        }
        for (String a : argv) {
            if (a.equals("--help") || a.equals("-h")) {
                System.out.println(c.usage());
                return 0;
            }
        }
        try {
            c.run(argv);
            return 0;
        } catch (Args.UsageException | IllegalArgumentException | IllegalStateException e) {
            System.err.println("clinlora " + argv[0] + ": " + e.getMessage());
            return 2;
        } catch (IOException | UncheckedIOException e) {
            System.err.println("clinlora " + argv[0] + ": " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            System.err.println("clinlora " + argv[0] + ": " + e);
            return 1;
        }
    }

    static String overview() {
        StringBuilder sb = new StringBuilder("usage: ./clinlora <command> [options]   (each command answers --help)\n\ncommands:\n");
        sb.append("  infra up|down|status      local Kafka (KRaft) and S3Proxy from infra/\n");
        COMMANDS.forEach((name, c) -> sb.append("  ").append(String.format("%-25s %s", name, c.usage().lines().findFirst().orElse(""))).append('\n'));
        return sb.toString();
    }
}
