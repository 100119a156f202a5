package org.clinlora.model.text;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import java.io.CharConversionException;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Refuses a {@code tokenizer.json} the native tokenizers library could not read without aborting the JVM. The library
 * (0.21, through DJL) reads a decoder, normalizer, pre-tokenizer or post-processor with {@code .expect(..)}: JSON there
 * that serde_json refuses is a Rust panic, and a panic across JNI ends the whole process (a service loading a pushed
 * model's tokenizer). So the file must first be one JSON object as serde_json reads it: well-formed, nested at most
 * {@link #MAX_DEPTH} deep (serde_json stops at 128), no lone surrogate escape, no number beyond a double's range.
 */
final class TokenizerJsonCheck {
    /** Real tokenizer.json files nest about 6 deep. */
    static final int MAX_DEPTH = 64;

    private static final JsonFactory STRICT = JsonFactory.builder()
            .streamReadConstraints(
                    StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            .build();

    private TokenizerJsonCheck() {}

    /** Streams the file once (no tree is built); IllegalArgumentException naming the file and the place. */
    static void requireReadable(Path file) throws IOException {
        try (JsonParser p = STRICT.createParser(file.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw refused(file, "is not a JSON object", null);
            for (int depth = 1; depth > 0; ) {
                JsonToken t = p.nextToken();
                if (t == null) throw refused(file, "ends inside its object", null);
                if (t.isStructStart()) depth++;
                else if (t.isStructEnd()) depth--;
                else check(file, p, t);
            }
            if (p.nextToken() != null) throw refused(file, "has content after its object", p.currentLocation());
        } catch (StreamConstraintsException e) {
            throw refused(file, "is nested deeper than " + MAX_DEPTH + " levels", e.getLocation());
        } catch (JsonProcessingException e) {
            // Jackson's message quotes the offending text; the place is enough.
            throw refused(file, "is not valid JSON", e.getLocation());
        } catch (CharConversionException e) {
            // Leading zero bytes make Jackson guess UTF-16 or UTF-32, then fail.
            throw refused(file, "is not UTF-8 text", null);
        }
    }

    private static void check(Path file, JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case FIELD_NAME, VALUE_STRING -> {
                if (hasLoneSurrogate(p.getText()))
                    throw refused(file, "holds a lone surrogate escape", p.currentTokenLocation());
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                if (!Double.isFinite(p.getDoubleValue()))
                    throw refused(file, "holds a number out of range", p.currentTokenLocation());
            }
            default -> {}
        }
    }

    private static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) i++;
            else if (Character.isSurrogate(c)) return true;
        }
        return false;
    }

    private static IllegalArgumentException refused(Path file, String why, JsonLocation at) {
        String where = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
        return new IllegalArgumentException(file + ": tokenizer.json " + why + where);
    }
}
