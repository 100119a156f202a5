package org.clinlora.model.data;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.zip.GZIPInputStream;

/**
 * Streaming RFC 4180 CSV with a header row, as MIMIC-IV-Note ships it: fields quoted with {@code "} may hold commas,
 * doubled quotes and newlines; gzip is detected from the file's magic bytes. Records are read one at a time, so a
 * 2.6-million-note file never sits in memory. A malformed record is named by the line it starts on and either fails the
 * read or is skipped and counted, as the caller chooses.
 */
public final class CsvReader implements Closeable, Iterator<CsvReader.Row> {

    public enum OnMalformed {
        FAIL,
        SKIP
    }

    /** One record: the physical line it starts on (1-based; the header is line 1) and its fields by column name. */
    public record Row(long line, Map<String, String> fields) {
        public String get(String column) {
            return fields.get(column);
        }
    }

    public static final class CsvException extends IllegalArgumentException {
        public CsvException(String message) {
            super(message);
        }
    }

    private static final int MAX_FIELD_CHARS = 16 * 1024 * 1024;

    private final String source;
    private final BufferedReader in;
    private final OnMalformed policy;
    private final List<String> header;
    private long line = 1;
    private long skipped;
    private Row next;
    private boolean eof;

    private CsvReader(String source, InputStream raw, OnMalformed policy) throws IOException {
        this.source = source;
        this.policy = policy;
        BufferedInputStream b = new BufferedInputStream(raw, 1 << 16);
        b.mark(2);
        int m1 = b.read(), m2 = b.read();
        b.reset();
        InputStream body = (m1 == 0x1f && m2 == 0x8b) ? new GZIPInputStream(b, 1 << 16) : b;
        // Invalid UTF-8 is an error with a line number, not silently replaced text.
        this.in = new BufferedReader(
                new InputStreamReader(
                        body,
                        StandardCharsets.UTF_8
                                .newDecoder()
                                .onMalformedInput(CodingErrorAction.REPORT)
                                .onUnmappableCharacter(CodingErrorAction.REPORT)),
                1 << 16);
        List<String> h = record();
        if (h == null) throw new CsvException(source + ": empty file, expected a header row");
        if (!h.isEmpty() && h.get(0).startsWith("\uFEFF")) h.set(0, h.get(0).substring(1));
        this.header = List.copyOf(h);
    }

    public static CsvReader open(Path file, OnMalformed policy) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + ": no such file");
        return new CsvReader(file.toString(), Files.newInputStream(file), policy);
    }

    public static CsvReader of(String source, InputStream in, OnMalformed policy) throws IOException {
        return new CsvReader(source, in, policy);
    }

    /** The name used in error messages (a file path or an object key). */
    public String source() {
        return source;
    }

    public List<String> header() {
        return header;
    }

    /** Fails unless every named column is in the header. */
    public CsvReader requireColumns(List<String> columns) {
        for (String c : columns) {
            if (!header.contains(c))
                throw new CsvException(source + ": missing column '" + c + "' (header: " + header + ")");
        }
        return this;
    }

    /** Malformed records skipped so far (always 0 with FAIL). */
    public long skipped() {
        return skipped;
    }

    @Override
    public boolean hasNext() {
        while (next == null && !eof) {
            long start = line;
            List<String> r;
            try {
                r = record();
            } catch (CsvException e) {
                if (e.getMessage().contains("not valid UTF-8")) throw e;
                malformed(e.getMessage());
                continue;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (r == null) {
                eof = true;
            } else if (r.size() == 1 && r.get(0).isEmpty()) {
                continue; // blank line
            } else if (r.size() != header.size()) {
                malformed(source + ": line " + start + ": " + r.size() + " fields, the header has " + header.size());
            } else {
                Map<String, String> m = new LinkedHashMap<>();
                for (int i = 0; i < header.size(); i++) m.put(header.get(i), r.get(i));
                next = new Row(start, m);
            }
        }
        return next != null;
    }

    private void malformed(String message) {
        if (policy == OnMalformed.FAIL) throw new CsvException(message);
        skipped++;
    }

    @Override
    public Row next() {
        if (!hasNext()) throw new NoSuchElementException();
        Row r = next;
        next = null;
        return r;
    }

    /** A record; undecodable bytes fail the whole read (the decoder reads ahead, so the line is approximate). */
    private List<String> record() throws IOException {
        try {
            return readRecord();
        } catch (CharacterCodingException e) {
            throw new CsvException(source + ": text is not valid UTF-8 (around line " + line + ")");
        }
    }

    /** One record, or null at end of input. Counts physical lines as it goes. */
    private List<String> readRecord() throws IOException {
        List<String> fields = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        int c = in.read();
        if (c < 0) return null;
        long startLine = line;
        boolean quoted = false, afterQuote = false;
        while (true) {
            if (c < 0) {
                if (quoted) throw new CsvException(source + ": line " + startLine + ": quoted field never closed");
                fields.add(f.toString());
                return fields;
            }
            char ch = (char) c;
            if (quoted) {
                if (ch == '"') {
                    int d = in.read();
                    if (d == '"') {
                        f.append('"');
                    } else {
                        quoted = false;
                        afterQuote = true;
                        c = d;
                        continue;
                    }
                } else {
                    if (ch == '\n') line++;
                    f.append(ch);
                    if (f.length() > MAX_FIELD_CHARS)
                        throw new CsvException(source + ": line " + startLine + ": field longer than " + MAX_FIELD_CHARS
                                + " characters");
                }
            } else if (ch == ',') {
                fields.add(f.toString());
                f.setLength(0);
                afterQuote = false;
            } else if (ch == '\n' || ch == '\r') {
                if (ch == '\r') {
                    in.mark(1);
                    if (in.read() != '\n') in.reset();
                }
                line++;
                fields.add(f.toString());
                return fields;
            } else if (ch == '"' && f.length() == 0 && !afterQuote) {
                quoted = true;
            } else if (afterQuote) {
                skipToEndOfLine();
                throw new CsvException(source + ": line " + startLine + ": unexpected character after a closing quote");
            } else {
                f.append(ch);
            }
            c = in.read();
        }
    }

    private void skipToEndOfLine() throws IOException {
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            /* drop the rest of the broken record's line */
        }
        line++;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
