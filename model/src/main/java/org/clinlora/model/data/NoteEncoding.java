package org.clinlora.model.data;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import org.clinlora.model.base.SpecialIds;
import org.clinlora.model.text.ClinicalTokenizer;
import org.clinlora.model.text.NoteNormalizer;

/**
 * How one note becomes one classification row — the single home of that rule, used by dataset builds and by the scorer
 * alike, so a note is scored exactly as the adapter's training rows were made: normalised (or not), tokenized without
 * special tokens, cut to fit on the configured side, then {@code <s>} in front (LLaMA) — or {@code [CLS]} in front and
 * {@code [SEP]} behind (BERT, {@code sepId} set). The settings travel from the dataset manifest to the adapter's card,
 * and from there to the scorer.
 *
 * @param maxLength the row length in tokens, the special tokens included (the dataset's {@code seqLen})
 * @param sepId the token closing every row (BERT's [SEP]), or null (LLaMA: rows are not closed)
 */
public record NoteEncoding(
        NoteNormalizer normalizer,
        Truncation truncation,
        int maxLength,
        int bosId,
        int padId,

        @JsonInclude(JsonInclude.Include.NON_NULL) Integer sepId) {

    /** Which tokens a note longer than the row keeps: the first, the last, or half of each. */
    public enum Truncation {
        HEAD,
        TAIL,
        HEAD_TAIL;

        public static Truncation parse(String value) {
            try {
                return valueOf(
                        value.strip().toUpperCase(Locale.ROOT).replace('-', '_').replace('+', '_'));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("truncation must be head, tail or head_tail, got '" + value + "'");
            }
        }
    }

    /** One encoded note: its ids ({@code <s>} first, not padded) and whether tokens were cut. */
    public record Encoded(long[] ids, int noteTokens, boolean truncated) {}

    public NoteEncoding {
        if (normalizer == null) throw new IllegalArgumentException("normalizer is required");
        if (truncation == null) throw new IllegalArgumentException("truncation is required");
        if (maxLength < (sepId == null ? 2 : 3)) {
            throw new IllegalArgumentException(
                    "max length must leave room for one token beside the special ones, got " + maxLength);
        }
    }

    /** A LLaMA encoding: {@code <s>} in front, rows not closed. */
    public NoteEncoding(NoteNormalizer normalizer, Truncation truncation, int maxLength, int bosId, int padId) {
        this(normalizer, truncation, maxLength, bosId, padId, null);
    }

    /** The defaults of a dataset build: every normaliser step on, the head kept. */
    public static NoteEncoding defaults(int maxLength, int bosId, int padId) {
        return new NoteEncoding(NoteNormalizer.DEFAULT, Truncation.HEAD, maxLength, bosId, padId);
    }

    /** The defaults with the base model's special tokens (BERT's rows closed with [SEP]). */
    public static NoteEncoding defaults(int maxLength, SpecialIds ids) {
        return new NoteEncoding(
                NoteNormalizer.DEFAULT,
                Truncation.HEAD,
                maxLength,
                ids.bos(),
                ids.pad(),
                ids.closesRows() ? ids.sep() : null);
    }

    /** Normalises, tokenizes and cuts one note. */
    public Encoded encode(ClinicalTokenizer tokenizer, String note) {
        return cut(tokenizer.encode(normalizer.normalize(note), false));
    }

    /**
     * The row of a note already normalised and tokenized (without special tokens): cut, {@code <s>} in front ([SEP]
     * behind).
     */
    public Encoded cut(long[] ids) {
        int room = maxLength - 1 - (sepId == null ? 0 : 1);
        int n = Math.min(ids.length, room);
        int head =
                switch (truncation) {
                    case HEAD -> n;
                    case TAIL -> 0;
                    case HEAD_TAIL -> n / 2;
                };
        long[] row = new long[n + 1 + (sepId == null ? 0 : 1)];
        row[0] = bosId;
        System.arraycopy(ids, 0, row, 1, head);
        System.arraycopy(ids, ids.length - (n - head), row, 1 + head, n - head);
        if (sepId != null) row[n + 1] = sepId;
        return new Encoded(row, ids.length, ids.length > n);
    }

    /** The manifest's record of a classification dataset (written by {@link DatasetBuilder}); null when absent. */
    @JsonIgnore
    public static NoteEncoding fromManifest(JsonNode m) {
        if (m == null || !m.has("seqLen") || !m.has("truncation")) return null;
        JsonNode n = m.path("normalizer");
        NoteNormalizer normalizer = new NoteNormalizer(
                n.path("deidPlaceholder").asBoolean(true),
                n.path("whitespace").asBoolean(true),
                n.path("sectionHeaders").asBoolean(true));
        return new NoteEncoding(
                normalizer,
                Truncation.parse(m.path("truncation").asText()),
                m.path("seqLen").asInt(),
                m.path("bosId").asInt(),
                m.path("padId").asInt(),
                m.hasNonNull("sepId") ? m.get("sepId").asInt() : null);
    }
}
