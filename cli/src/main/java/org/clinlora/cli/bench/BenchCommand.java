package org.clinlora.cli.bench;

import org.clinlora.cli.command.CliVersion;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ./clinlora bench}: throughput figures measured the way the plain PyTorch comparison measures them, so the two
 * can be put side by side: random tokens, a median over timed steps after warm-up steps, the settings printed with the
 * numbers. {@code train} and {@code forward} are {@link ModelBench}es; the others have their own classes.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        versionProvider = CliVersion.class,
        description =
                "Throughput: training tokens/s, classification sequences/s, tokenizer, registry and scorer figures.",
        subcommands = {
            BenchCommand.Train.class,
            BenchCommand.Forward.class,
            BenchTokenizeCommand.class,
            BenchRegistryCommand.class,
            BenchScoreCommand.class,
            BenchScaleCommand.class,
            BenchCorpusCommand.class,
            BenchSoakCommand.class
        })
public final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(
                spec.commandLine(),
                "say 'bench train', 'bench forward', 'bench tokenize', 'bench registry' or 'bench score'");
    }

    @Command(
            name = "train",
            mixinStandardHelpOptions = true,
            versionProvider = CliVersion.class,
            description =
                    "Training tokens/s: causal LM on random tokens, a new LoRA (q_proj+v_proj, r, alpha) trained by AdamW (lr 1e-4).",
            footer = {
                "--config: the comparison's shapes (tiny = vocab 32000, d256, L4, H4, ffn 688, 8 x 128; small = d512, L8, H8,",
                "ffn 1376, 4 x 256 training / 8 x 256 forward; LoRA r 8, alpha 16), a random model made in a temp folder. Prints",
                "a fp32 2048x2048 matmul peak measured in the same run and the MFU (model FLOPs per token x tokens/s / peak)."
            })
    static final class Train extends ModelBench {
        Train() {
            super(true);
        }
    }

    @Command(
            name = "forward",
            mixinStandardHelpOptions = true,
            versionProvider = CliVersion.class,
            description =
                    "Classification sequences/s, no gradients; without an adapter that carries a score head, a new one with --labels classes is stacked on top.",
            footer = "--config: as for bench train.")
    static final class Forward extends ModelBench {
        Forward() {
            super(false);
        }
    }
}
