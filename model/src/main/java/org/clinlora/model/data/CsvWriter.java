package org.clinlora.model.data;

import com.fasterxml.jackson.dataformat.csv.CsvFactory;
import com.fasterxml.jackson.dataformat.csv.CsvGenerator;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * RFC 4180 CSV out through jackson-dataformat-csv, one row per call; {@code .gz} names are gzip-compressed. Jackson's
 * default quoting is kept: it quotes every field longer than 24 characters or holding a comma, a backslash or an ASCII
 * character before the comma (space, line breaks, quotes) — more than strictly needed, but its strict check would leave
 * a lone carriage return unquoted, which a reader takes for the end of the record.
 */
public final class CsvWriter implements Closeable {
    /** One factory for every writer (thread-safe); no schema, so each array written is one row. */
    private static final CsvFactory CSV = new CsvFactory();

    private final CsvGenerator out;
    private final int columns;

    public CsvWriter(Path file, List<String> header) throws IOException {
        OutputStream os = Files.newOutputStream(file);
        if (file.getFileName().toString().endsWith(".gz")) os = new GZIPOutputStream(os, 1 << 16);
        // The JDK's encoder, as before: an unpaired surrogate becomes '?' instead of failing the write.
        this.out = CSV.createGenerator(new OutputStreamWriter(os, StandardCharsets.UTF_8));
        this.columns = header.size();
        row(header);
    }

    public void row(List<String> fields) throws IOException {
        if (fields.size() != columns)
            throw new IllegalArgumentException("expected " + columns + " fields, got " + fields.size());
        out.writeStartArray();
        for (String f : fields) out.writeString(f == null ? "" : f);
        out.writeEndArray();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
