package org.clinlora.cli.registry;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import org.clinlora.cli.client.LocalBucket;
import org.clinlora.cli.command.CliCommand;
import org.clinlora.cli.command.CliVersion;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.S3Settings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code ./clinlora registry export|import}: the registry's backup, straight from and into the object store (the bucket
 * in CLINLORA_S3_*), so it needs the store's credentials, not a token. docs/SECURITY.md, "Backup and restore".
 */
@Command(
        name = "registry",
        mixinStandardHelpOptions = true,
        versionProvider = CliVersion.class,
        description = "Back up the adapter registry into a folder, and restore it into an empty bucket.",
        subcommands = {RegistryCommand.Export.class, RegistryCommand.Import.class})
public final class RegistryCommand implements Runnable {
    @Override
    public void run() {
        throw new ParameterException(new CommandLine(this), "say 'registry export' or 'registry import'");
    }

    /** A backup run on the opened bucket: its work, answered as the one line that sums it up. */
    interface Run {
        String on(ObjectStore store, S3Settings s3) throws IOException;
    }

    /**
     * Opens the bucket ({@code bucket}, else the one in CLINLORA_S3_*), runs {@code run} on it and prints its summary
     * with the seconds the run took.
     */
    static void timed(PrintWriter out, String bucket, boolean create, Run run) throws IOException {
        S3Settings s3 = LocalBucket.settings();
        if (bucket != null) s3 = s3.withBucket(bucket);
        ObjectStore store = new ObjectStore(s3);
        if (!store.bucketExists()) {
            if (!create) throw new IllegalStateException("bucket " + s3.bucket() + " not found at " + s3.endpoint());
            store.createBucket(); // a restore into a new cluster's store starts without one
        }
        long t0 = System.nanoTime();
        String summary = run.on(store, s3);
        out.printf("%s, in %.1f s%n", summary, (System.nanoTime() - t0) / 1e9);
    }

    @Command(
            name = "export",
            mixinStandardHelpOptions = true,
            versionProvider = CliVersion.class,
            description = "Copy every base model, adapter version, card and alias history, with their sha256, into a"
                    + " folder. Run it again on the same folder to copy only what is new.",
            footer = "Reads the bucket in CLINLORA_S3_ENDPOINT / CLINLORA_S3_BUCKET with CLINLORA_S3_ACCESS_KEY and"
                    + " CLINLORA_S3_SECRET_KEY. The services may keep running.")
    static final class Export extends CliCommand {
        @Option(names = "--out", required = true, paramLabel = "DIR", description = "the export folder")
        Path out;

        @Option(names = "--bucket", description = "the bucket (default CLINLORA_S3_BUCKET or clinlora)")
        String bucket;

        @Override
        protected void execute() throws Exception {
            timed(spec.commandLine().getOut(), bucket, false, (store, s3) -> {
                RegistryExport.Summary s = new RegistryExport(store, out).run(s3.endpoint() + "/" + s3.bucket());
                return String.format(
                        "exported %d objects (%.1f MB) to %s: %d copied (%.1f MB), %d removed",
                        s.objects(), s.bytes() / 1e6, out, s.copied(), s.bytesCopied() / 1e6, s.removed());
            });
        }
    }

    @Command(
            name = "import",
            mixinStandardHelpOptions = true,
            versionProvider = CliVersion.class,
            description =
                    "Restore an export into a bucket that holds no registry (made if missing), checking every file"
                            + " first and reading each back after writing it.",
            footer = "Writes the bucket in CLINLORA_S3_BUCKET (or --bucket); run it again to finish an interrupted"
                    + " import. Start registry-svc on the bucket afterwards.")
    static final class Import extends CliCommand {
        @Parameters(index = "0", paramLabel = "DIR", description = "a folder written by 'registry export'")
        Path dir;

        @Option(names = "--bucket", description = "the bucket (default CLINLORA_S3_BUCKET or clinlora)")
        String bucket;

        @Override
        protected void execute() throws Exception {
            timed(spec.commandLine().getOut(), bucket, true, (store, s3) -> {
                RegistryImport.Summary s = new RegistryImport(store, dir).run(s3.bucket());
                return String.format(
                        "imported %d objects into %s: %d written and verified (%.1f MB), %d already there",
                        s.objects(), s3.bucket(), s.written(), s.bytesWritten() / 1e6, s.skipped());
            });
        }
    }
}
