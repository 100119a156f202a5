package org.clinlora.model.data;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/** RFC 4180 CSV out: fields with commas, quotes or line breaks are quoted; {@code .gz} names are gzip-compressed. */
public final class CsvWriter implements Closeable {
    private final BufferedWriter out;
    private final int columns;

    public CsvWriter(Path file, List<String> header) throws IOException {
        OutputStream os = Files.newOutputStream(file);
        if (file.getFileName().toString().endsWith(".gz")) os = new GZIPOutputStream(os, 1 << 16);
        this.out = new BufferedWriter(new OutputStreamWriter(os, StandardCharsets.UTF_8), 1 << 16);
        this.columns = header.size();
        row(header);
    }

    public void row(List<String> fields) throws IOException {
        if (fields.size() != columns)
            throw new IllegalArgumentException("expected " + columns + " fields, got " + fields.size());
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) out.write(',');
            String f = fields.get(i) == null ? "" : fields.get(i);
            if (f.indexOf(',') >= 0 || f.indexOf('"') >= 0 || f.indexOf('\n') >= 0 || f.indexOf('\r') >= 0) {
                out.write('"');
                out.write(f.replace("\"", "\"\""));
                out.write('"');
            } else {
                out.write(f);
            }
        }
        out.write('\n');
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
