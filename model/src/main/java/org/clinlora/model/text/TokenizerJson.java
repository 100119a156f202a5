package org.clinlora.model.text;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * The frame of a Hugging Face {@code tokenizer.json} the tiny models' builders write: version, no truncation or
 * padding, the special tokens.
 */
final class TokenizerJson {
    private TokenizerJson() {}

    /**
     * A root object with {@code specials} (token → id, in order) as special added tokens, matched before normalisation.
     */
    static ObjectNode root(ObjectMapper json, Map<String, Integer> specials) {
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        specials.forEach((s, id) -> added.addObject()
                .put("id", id)
                .put("content", s)
                .put("single_word", false)
                .put("lstrip", false)
                .put("rstrip", false)
                .put("normalized", false)
                .put("special", true));
        return root;
    }
}
