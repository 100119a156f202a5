package org.clinlora.model.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.dataformat.csv.CsvFactory;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
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
import java.util.zip.ZipException;

/**
 * Streaming RFC 4180 CSV with a header row, as MIMIC-IV-Note ships it, parsed by jackson-dataformat-csv: fields quoted
 * with {@code "} may hold commas, doubled quotes and newlines; gzip is detected from the file's magic bytes. Records
 * are read one at a time, so a 2.6-million-note file never sits in memory. A malformed record is named by the line it
 * starts on and either fails the read or is skipped and counted, as the caller chooses. Error messages name the source,
 * the line and the column, never a cell's text (notes are PHI; Jackson's own messages quote the offending character, so
 * they are translated, not passed on).
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

    /** A record whose quoting is broken; the parser can go on after it (to the end of that record). */
    private static final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    private static final int MAX_FIELD_CHARS = 16 * 1024 * 1024;

    /**
     * One factory for every reader (thread-safe once built). No schema: each record arrives as an array of strings, so
     * the field count is checked here, against the header, with the line in the message. The string-length constraint
     * bounds the memory one runaway quoted field (an unclosed quote) can take.
     */
    private static final CsvFactory CSV = CsvFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength(MAX_FIELD_CHARS)
                    .build())
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .build();

    private final String source;
    private final Reader text;
    private final CsvParser parser;
    private final OnMalformed policy;
    private final List<String> header;
    private final List<String> cells = new ArrayList<>();
    /** The line the record being read starts on, as {@link #startRecord} counts it. */
    private long recordLine;
    /** Jackson's line number for the same place. */
    private long parserLine;
    /** Where the next record starts, from the line breaks in this one's cells; -1 after a broken record. */
    private long nextLine = 1;

    private long skipped;
    private Row next;
    private boolean eof;

    private CsvReader(String source, InputStream raw, OnMalformed policy) throws IOException {
        this.source = source;
        this.policy = policy;
        try {
            this.text = utf8(raw);
        } catch (CorruptGzip e) {
            raw.close();
            throw new CsvException(source + ": gzip data is corrupt or truncated (in its header)");
        }
        this.parser = CSV.createParser(text);
        parser.setSchema(CsvSchema.emptySchema());
        try {
            this.header = readHeader();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Text from raw bytes: gunzipped when they start with gzip's magic bytes; invalid UTF-8 is an error. */
    private static Reader utf8(InputStream raw) throws IOException {
        BufferedInputStream b = new BufferedInputStream(raw, 1 << 16);
        b.mark(2);
        int m1 = b.read(), m2 = b.read();
        b.reset();
        InputStream body = (m1 == 0x1f && m2 == 0x8b) ? new GzipBody(b) : b;
        // Invalid UTF-8 is an error with a line number, not silently replaced text.
        return new InputStreamReader(
                body,
                StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT));
    }

    /**
     * A gzip stream whose own failures (a corrupt block, a bad header or trailer, data ending mid-stream) are
     * {@link CorruptGzip}, told apart from the source's I/O errors: the file is bad, not the transport.
     */
    private static final class GzipBody extends FilterInputStream {
        GzipBody(InputStream raw) throws IOException {
            super(gunzip(raw));
        }

        private static InputStream gunzip(InputStream raw) throws IOException {
            try {
                return new GZIPInputStream(raw, 1 << 16);
            } catch (ZipException | EOFException e) {
                throw new CorruptGzip();
            }
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (ZipException | EOFException e) {
                throw new CorruptGzip();
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (ZipException | EOFException e) {
                throw new CorruptGzip();
            }
        }
    }

    private static final class CorruptGzip extends IOException {
        CorruptGzip() {
            super("corrupt gzip data", null);
        }
    }

    private List<String> readHeader() {
        try {
            if (!readRecord()) throw new CsvException(source + ": empty file, expected a header row");
        } catch (Malformed e) {
            throw new CsvException(e.getMessage());
        }
        List<String> h = new ArrayList<>(cells);
        if (!h.isEmpty() && h.get(0).startsWith("\uFEFF")) h.set(0, h.get(0).substring(1));
        return List.copyOf(h);
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
            boolean more;
            try {
                more = readRecord();
            } catch (Malformed e) {
                malformed(e.getMessage());
                finishBrokenRecord();
                continue;
            }
            if (!more) {
                eof = true;
            } else if (cells.size() == 1 && cells.get(0).isEmpty()) {
                continue; // blank line
            } else if (cells.size() != header.size()) {
                malformed(source + ": line " + recordLine + ": " + cells.size() + " fields, the header has "
                        + header.size());
            } else {
                Map<String, String> m = new LinkedHashMap<>();
                for (int i = 0; i < header.size(); i++) m.put(header.get(i), cells.get(i));
                next = new Row(recordLine, m);
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

    /**
     * The next record's fields into {@link #cells} and the line it starts on into {@link #recordLine}; false at the end
     * of the input. Broken quoting is {@link Malformed}; undecodable bytes and an overlong field fail the whole read,
     * since no record boundary can be trusted after them.
     */
    private boolean readRecord() throws Malformed {
        cells.clear();
        try {
            JsonToken t = parser.nextToken();
            if (t == null) return false;
            if (t != JsonToken.START_ARRAY) throw new IllegalStateException("CSV parser gave " + t + ", not a record");
            startRecord();
            long breaks = 0;
            while ((t = parser.nextToken()) != JsonToken.END_ARRAY) {
                String cell = t == JsonToken.VALUE_STRING ? parser.getText() : "";
                cells.add(cell);
                breaks += lineBreaks(cell);
            }
            nextLine = recordLine + 1 + breaks;
            return true;
        } catch (StreamConstraintsException e) {
            throw tooLong();
        } catch (JsonProcessingException e) {
            nextLine = -1;
            throw new Malformed(describe(e));
        } catch (CharacterCodingException e) {
            throw notUtf8();
        } catch (CorruptGzip e) {
            throw corruptGzip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Sets {@link #recordLine} as a record begins. Lines are counted here, from the line breaks inside the cells,
     * because Jackson's count slips by one when a quoted field's CR LF straddles the end of one of its buffers; only
     * after a broken record, whose cells are lost, does Jackson's count over that one record decide.
     */
    private void startRecord() {
        long at = parser.currentLocation().getLineNr();
        recordLine = nextLine >= 0 ? nextLine : recordLine + (at - parserLine);
        parserLine = at;
    }

    /** The physical lines a cell adds (only a quoted cell holds line breaks; CR LF counts once, as LF). */
    private static int lineBreaks(String cell) {
        int n = 0;
        for (int i = cell.indexOf('\n'); i >= 0; i = cell.indexOf('\n', i + 1)) n++;
        return n;
    }

    /** Jackson's line number for a place in the current record, on this reader's count. */
    private long line(long parserLineNr) {
        return recordLine + (parserLineNr - parserLine);
    }

    /** A field too long to be a note: in practice a quote never closed, after which no record boundary holds. */
    private CsvException tooLong() {
        return new CsvException(
                source + ": line " + recordLine + ": field longer than " + MAX_FIELD_CHARS + " characters");
    }

    /** Undecodable bytes; the decoder reads ahead of the parser, so the line is approximate. */
    private CsvException notUtf8() {
        return new CsvException(source + ": text is not valid UTF-8 (around line "
                + line(parser.currentLocation().getLineNr()) + ")");
    }

    /** A gzip stream that breaks off or holds bad data; like undecodable text, no later record can be trusted. */
    private CsvException corruptGzip() {
        return new CsvException(source + ": gzip data is corrupt or truncated (around line "
                + line(parser.currentLocation().getLineNr()) + ")");
    }

    /**
     * What is wrong with the record at {@link #recordLine}, from Jackson's exception but without its message, which
     * quotes the offending character.
     */
    private String describe(JsonProcessingException e) {
        String original = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        if (original.startsWith("Missing closing quote"))
            return source + ": line " + recordLine + ": quoted field never closed";
        JsonLocation at = e.getLocation();
        if (at == null || !original.contains("Expected column separator"))
            return source + ": line " + recordLine + ": malformed quoting";
        // Jackson's column is the one after the character it stopped at.
        long line = line(at.getLineNr());
        String where = "line " + line + ", column " + Math.max(1, at.getColumnNr() - 1);
        String record = line == recordLine ? "" : " (in the record starting on line " + recordLine + ")";
        return source + ": " + where + ": unexpected character after a closing quote" + record;
    }

    /** Reads past the rest of a record whose quoting broke, so that the next read starts on the next record. */
    private void finishBrokenRecord() {
        while (true) {
            try {
                JsonToken t = parser.nextToken();
                if (t == null || t == JsonToken.END_ARRAY) return;
            } catch (StreamConstraintsException e) {
                throw tooLong();
            } catch (JsonProcessingException e) {
                // More of the same broken record; each error consumed input, so this ends.
            } catch (CharacterCodingException e) {
                throw notUtf8();
            } catch (CorruptGzip e) {
                throw corruptGzip();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Override
    public void close() throws IOException {
        try (text) {
            parser.close();
        }
    }
}
