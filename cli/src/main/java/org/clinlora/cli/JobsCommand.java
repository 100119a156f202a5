package org.clinlora.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import org.clinlora.cli.client.ServiceUrl;
import org.clinlora.cli.command.CliCommand;
import org.clinlora.cli.command.CliVersion;
import org.clinlora.cli.command.ProgressBar;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code ./clinlora jobs ls|show|watch}: training jobs through trainer-svc's {@code /v1/jobs}. */
@Command(
        name = "jobs",
        mixinStandardHelpOptions = true,
        versionProvider = CliVersion.class,
        description = "Training jobs in trainer-svc: list, show, watch one with a progress bar.",
        subcommands = {JobsCommand.Ls.class, JobsCommand.Show.class, JobsCommand.Watch.class})
final class JobsCommand implements Runnable {
    @Override
    public void run() {
        throw new ParameterException(new CommandLine(this), "say 'jobs ls', 'jobs show ID' or 'jobs watch ID'");
    }

    /** trainer-svc's base URL: --trainer, else CLINLORA_TRAINER_URL, else the local port. */
    static String trainer(String option) {
        return ServiceUrl.of(option, "trainer", 8083);
    }

    @Command(
            name = "ls",
            mixinStandardHelpOptions = true,
            versionProvider = CliVersion.class,
            description = "Recent jobs, newest first.")
    static final class Ls extends CliCommand {
        @Option(names = "--limit", defaultValue = "50", description = "at most this many (default 50)")
        int limit;

        @Option(
                names = "--trainer",
                paramLabel = "URL",
                description = "trainer-svc base URL (default CLINLORA_TRAINER_URL or http://127.0.0.1:8083)")
        String url;

        @Override
        protected void execute() throws Exception {
            atLeast("--limit", limit, 1);
            System.out.printf("%-34s %-18s %-10s %-11s %-9s %s%n", "JOB", "KIND", "STATUS", "STEP", "LOSS", "ADAPTER");
            for (JsonNode j : ModelsCommand.getJson(trainer(url) + "/v1/jobs?limit=" + limit)) {
                JsonNode p = j.path("progress");
                System.out.printf(
                        Locale.ROOT,
                        "%-34s %-18s %-10s %-11s %-9s %s%n",
                        j.path("jobId").asText(),
                        j.path("spec").path("kind").asText(),
                        j.path("status").asText(),
                        p.isMissingNode()
                                ? ""
                                : p.path("step").asInt() + "/"
                                        + p.path("totalSteps").asInt(),
                        p.isMissingNode()
                                ? ""
                                : String.format(
                                        Locale.ROOT, "%.4f", p.path("loss").asDouble()),
                        j.path("adapter").asText(""));
            }
        }
    }

    @Command(
            name = "show",
            mixinStandardHelpOptions = true,
            versionProvider = CliVersion.class,
            description = "One job as trainer-svc records it (JSON).")
    static final class Show extends CliCommand {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Option(names = "--trainer", paramLabel = "URL", description = "trainer-svc base URL")
        String url;

        @Override
        protected void execute() throws Exception {
            System.out.println(ModelsCommand.JSON
                    .writerWithDefaultPrettyPrinter()
                    .writeValueAsString(ModelsCommand.getJson(trainer(url) + "/v1/jobs/" + ModelsCommand.enc(id))));
        }
    }

    @Command(
            name = "watch",
            mixinStandardHelpOptions = true,
            versionProvider = CliVersion.class,
            description = "Follow a job until it ends: a progress bar with the step, the loss and the ETA.",
            footer = "Exit code 0 when the job succeeded, 1 when it failed or was cancelled.")
    static final class Watch extends CliCommand {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Option(names = "--interval", defaultValue = "1", description = "seconds between looks (default 1)")
        double interval;

        @Option(names = "--trainer", paramLabel = "URL", description = "trainer-svc base URL")
        String url;

        private int outcome;

        @Override
        protected int exitCode() {
            return outcome;
        }

        @Override
        protected void execute() throws Exception {
            require(interval > 0, "--interval must be positive");
            ProgressBar bar = new ProgressBar(id);
            while (true) {
                JsonNode j = ModelsCommand.getJson(trainer(url) + "/v1/jobs/" + ModelsCommand.enc(id));
                String status = j.path("status").asText();
                JsonNode p = j.path("progress");
                if (!p.isMissingNode()) {
                    bar.update(
                            p.path("step").asLong(),
                            p.path("totalSteps").asLong(),
                            p.path("etaSeconds").asDouble(-1),
                            String.format(
                                    Locale.ROOT,
                                    "%s  loss %.4f  %.0f tok/s",
                                    status,
                                    p.path("loss").asDouble(),
                                    p.path("tokensPerSecond").asDouble()));
                }
                switch (status) {
                    case "succeeded" -> {
                        bar.done("job " + id + " succeeded: published "
                                + j.path("adapter").asText() + metric(j, "test.macro_auroc")
                                + metric(j, "validation.perplexity"));
                        outcome = 0;
                        return;
                    }
                    case "failed", "cancelled" -> {
                        bar.done("job " + id + " " + status + ": "
                                + j.path("reason").asText(""));
                        outcome = 1;
                        return;
                    }
                    default -> Thread.sleep((long) (interval * 1000));
                }
            }
        }

        private static String metric(JsonNode j, String name) {
            JsonNode v = j.path("metrics").path(name);
            return v.isNumber() ? String.format(Locale.ROOT, ", %s %.4f", name, v.asDouble()) : "";
        }
    }
}
