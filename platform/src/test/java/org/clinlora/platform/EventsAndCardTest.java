package org.clinlora.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.clinlora.model.data.NoteEncoding;
import org.clinlora.model.task.ProblemType;
import org.clinlora.model.text.NoteNormalizer;
import org.clinlora.platform.events.AdapterPublished;
import org.clinlora.platform.events.AliasMoved;
import org.clinlora.platform.events.Event;
import org.clinlora.platform.events.Events;
import org.clinlora.platform.registry.AdapterCard;
import org.clinlora.platform.store.StoreLayout;
import org.junit.jupiter.api.Test;

class EventsAndCardTest {
    @Test
    void eventsCarryTheCommonFieldsAndParseBackByType() {
        AdapterPublished p = AdapterPublished.of("los", 3, "los", "clinical@1", "llama-7b");
        String json = Events.toJson(p);
        for (String f :
                List.of("\"type\":\"AdapterPublished\"", "\"eventId\"", "\"occurredAt\"", "\"schemaVersion\":1")) {
            assertTrue(json.contains(f), json);
        }
        assertEquals(p, Events.parse(json));
        Event moved = Events.parse(Events.toJson(AliasMoved.of("los", "production", 3, null)));
        assertEquals("AliasMoved", moved.type());
        assertThrows(IllegalArgumentException.class, () -> Events.parse("{\"type\":\"Nope\"}"));
        assertThrows(IllegalArgumentException.class, () -> Events.parse("not json"));
    }

    @Test
    void cardRoundTripsThroughJson() {
        NoteEncoding encoding =
                new NoteEncoding(new NoteNormalizer(false, true, false), NoteEncoding.Truncation.TAIL, 96, 1, 0);
        AdapterCard c = new AdapterCard(
                1,
                "los",
                2,
                "los",
                "SEQ_CLS",
                List.of("a", "b"),
                ProblemType.SINGLE_LABEL,
                encoding,
                new AdapterCard.BaseModel("tiny", "ab"),
                "clinical@1",
                List.of("ds"),
                Map.of("lr", 5e-5),
                Map.of("macro_auroc", 0.8),
                Map.of("adapter_model.safetensors", new AdapterCard.FileEntry("ff", 10)),
                "2026-11-26T00:00:00Z",
                "ci");
        assertEquals(c, AdapterCard.parse(c.toJson()));
        assertEquals("los@2", c.ref());
        assertTrue(
                new String(c.toJson()).contains("\"problemType\" : \"single_label_classification\""),
                "HF's problem_type names on the card");
        assertEquals(encoding, AdapterCard.parse(c.toJson()).noteEncoding());
    }

    @Test
    void aCardsFilesAndAModelManifestsAreReadByTheOneRule() throws Exception {
        ObjectMapper json = new ObjectMapper();
        AdapterCard c = new AdapterCard(
                1,
                "los",
                2,
                "los",
                "SEQ_CLS",
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                Map.of("adapter_model.safetensors", new AdapterCard.FileEntry("ff", 10)),
                null,
                null);
        assertEquals(c.files(), AdapterCard.filesOf(json.readTree(c.toJson())));
        String manifest = "{\"id\": \"base\", \"files\": {\"config.json\": {\"sha256\": \"ab\", \"size\": 3}},"
                + " \"pushedAt\": \"2026-11-26T00:00:00Z\"}";
        assertEquals(
                Map.of("config.json", new AdapterCard.FileEntry("ab", 3)),
                AdapterCard.filesOf(json.readTree(manifest)));
        assertEquals(Map.of(), AdapterCard.filesOf(json.readTree("{\"id\": \"base\"}")), "no files");
        assertEquals(Map.of(), AdapterCard.filesOf(json.readTree(new byte[0])), "an empty object");
        for (String damaged : List.of("{\"files\": {\"a\": null}}", "{\"files\": {\"a\": {\"size\": \"big\"}}}"))
            assertThrows(IllegalStateException.class, () -> AdapterCard.filesOf(json.readTree(damaged)), damaged);
    }

    @Test
    void namesAndAliasesCannotEscapeTheirPrefix() {
        for (String bad : List.of("../x", "a/b", "UPPER", "", "a..b", ".hidden")) {
            assertThrows(IllegalArgumentException.class, () -> StoreLayout.adapter(bad), bad);
        }
        assertThrows(
                IllegalArgumentException.class,
                () -> StoreLayout.aliasLog("los", "123"),
                "all-digit aliases would shadow versions");
        assertEquals("adapter-aliases/los/production/00000003.json", StoreLayout.aliasEntry("los", "production", 3));
        assertEquals("adapters/los/3/", StoreLayout.version("los", 3));
    }
}
