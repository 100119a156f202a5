package org.clinlora.tokenizer.api;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.clinlora.platform.auth.Roles;
import org.clinlora.platform.failure.InvalidRequest;
import org.clinlora.platform.failure.TooLarge;
import org.clinlora.platform.limits.SubjectLimits;
import org.clinlora.tokenizer.tokenize.Tokenizers;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/v1/tokenize")
@Tag(name = "tokenize", description = "Token ids of notes with a base model's own tokenizer")
@RolesAllowed(Roles.DATA_ENGINEER)
public class TokenizeResource {
    static final int MAX_TEXTS = 256;
    static final int MAX_CHARS = 1_000_000;
    static final int MAX_LENGTH = 32_768;

    private final Tokenizers tokenizers;
    private final SubjectLimits limits;

    public TokenizeResource(Tokenizers tokenizers, SubjectLimits limits) {
        this.tokenizers = tokenizers;
        this.limits = limits;
    }

    public record TokenizeRequest(String model, List<String> texts, Integer maxLength, Boolean addSpecialTokens) {}

    public record Tokenized(long[] ids, int length, boolean truncated) {}

    public record TokenizeResponse(String model, String tokenizerSha256, List<Tokenized> results) {}

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(
            summary = "Tokenize notes",
            description =
                    "Body: {model, texts (1-" + MAX_TEXTS
                            + "), maxLength (default 512), addSpecialTokens (default true)}. "
                            + "Ids are the model's tokenizer.json output (with <s> when addSpecialTokens), cut to maxLength from the head.")
    @APIResponse(responseCode = "200", description = "The ids of each note, in order")
    @APIResponse(responseCode = "404", description = "No such base model in the object store")
    @APIResponse(
            responseCode = "413",
            description = "More than " + MAX_TEXTS + " texts, or a text longer than " + MAX_CHARS + " characters")
    @APIResponse(responseCode = "422", description = "The model's tokenizer cannot be read (reason invalid_tokenizer)")
    @APIResponse(responseCode = "429", description = "The caller is over its request or note-byte rate (rate_limited)")
    public TokenizeResponse tokenize(TokenizeRequest req) {
        limits.admit(req == null ? 0 : SubjectLimits.noteBytes(req.texts()));
        if (req == null) throw new InvalidRequest("a JSON body with model and texts is required");
        if (req.model() == null || req.model().isBlank()) throw new InvalidRequest("model is required");
        if (req.texts() == null || req.texts().isEmpty()) throw new InvalidRequest("texts must hold at least one note");
        if (req.texts().size() > MAX_TEXTS)
            throw new TooLarge("at most " + MAX_TEXTS + " texts per request, got "
                    + req.texts().size());
        int maxLength = req.maxLength() == null ? 512 : req.maxLength();
        if (maxLength < 1 || maxLength > MAX_LENGTH)
            throw new InvalidRequest("maxLength must be between 1 and " + MAX_LENGTH);
        for (int i = 0; i < req.texts().size(); i++) {
            String t = req.texts().get(i);
            // Say which note is bad, never what it says: notes are PHI.
            if (t == null || t.isBlank()) throw new InvalidRequest("texts[" + i + "] is empty");
            if (t.length() > MAX_CHARS)
                throw new TooLarge("texts[" + i + "] is longer than " + MAX_CHARS + " characters");
        }
        Tokenizers.Loaded tok = tokenizers.get(req.model());
        boolean special = req.addSpecialTokens() == null || req.addSpecialTokens();
        List<Tokenized> out = new ArrayList<>();
        for (String t : req.texts()) {
            long[] ids = tok.tokenizer().encode(t, special);
            boolean truncated = ids.length > maxLength;
            long[] kept = truncated ? Arrays.copyOf(ids, maxLength) : ids;
            out.add(new Tokenized(kept, kept.length, truncated));
        }
        return new TokenizeResponse(req.model(), tok.sha256(), out);
    }
}
