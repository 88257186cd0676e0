package io.strata.semantic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.strata.cache.CacheKeyFactory;
import io.strata.config.CacheConfig;
import io.strata.core.StrataException;

/** How requests are cut into context and final text, what the guard refuses, what X-Cache-Semantic may ask. */
class FinalTurnsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final CacheKeyFactory KEYS = new CacheKeyFactory(CacheConfig.Normalization.STANDARD);

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String context(FinalTurn turn, String endpoint) {
        return SemanticCache.contextKey(KEYS, "test", "k:a", "", endpoint, turn.context());
    }

    @Test
    void chatFinalUserTextIsCutOffAndTheRestIsTheContext() {
        FinalTurn a = FinalTurns
                .chat(json("{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Reset my password\"}]}"));
        FinalTurn b = FinalTurns.chat(json(
                "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"How do I reset it\"}]}]}"));
        assertEquals("Reset my password", a.text());
        assertEquals("How do I reset it", b.text());
        assertEquals(context(a, "chat.completions"), context(b, "chat.completions"), "stream and the text's form do not split the set");
        FinalTurn other = FinalTurns.chat(json("{\"model\":\"m\",\"temperature\":1,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"));
        assertNotEquals(context(a, "chat.completions"), context(other, "chat.completions"));
        assertNotEquals(context(a, "chat.completions"), context(a, "responses"), "endpoints never share a set");
    }

    @Test
    void onlyAUsersPlainTextQualifies() {
        assertNull(
                FinalTurns.chat(json("{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"content\":\"a\"}]}")));
        assertNull(FinalTurns.chat(json("{\"messages\":[{\"role\":\"tool\",\"content\":\"sunny\",\"tool_call_id\":\"1\"}]}")));
        assertNull(FinalTurns
                .chat(json("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]}")));
        assertNull(FinalTurns.chat(json("{\"messages\":[]}")));
        assertNull(FinalTurns.chat(json("{\"prompt\":\"q\"}")));
        assertNull(FinalTurns.forEndpoint("embeddings"));
        assertNull(FinalTurns.forEndpoint("completions"));
    }

    @Test
    void responsesInputAsStringOrItems() {
        FinalTurn plain = FinalTurns.responses(json("{\"model\":\"m\",\"instructions\":\"be brief\",\"input\":\"Reset my password\"}"));
        assertEquals("Reset my password", plain.text());
        FinalTurn items = FinalTurns.responses(json("{\"model\":\"m\",\"instructions\":\"be brief\",\"input\":[{\"role\":\"user\","
                + "\"content\":[{\"type\":\"input_text\",\"text\":\"Reset my password\"}]}]}"));
        assertEquals("Reset my password", items.text());
        assertNotEquals(context(plain, "responses"), context(items, "responses"));
        FinalTurn previous = FinalTurns.responses(
                json("{\"model\":\"m\",\"instructions\":\"be brief\",\"previous_response_id\":\"r1\",\"input\":\"Reset my password\"}"));
        assertNotEquals(context(plain, "responses"), context(previous, "responses"), "a follow-up of another response");
        assertNull(FinalTurns.responses(json("{\"input\":[{\"type\":\"function_call_output\",\"call_id\":\"c\",\"output\":\"x\"}]}")));
        assertNull(FinalTurns
                .responses(json("{\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_image\",\"image_url\":\"x\"}]}]}")));
    }

    @Test
    void theGuardRefusesWhatSimilarityHides() {
        assertEquals("number", disagreement("Refund after 30 days?", "Refund after 60 days?"));
        assertEquals("number", disagreement("Is order 48213 shipped?", "Is order 48231 shipped?"));
        assertEquals("negation", disagreement("Why can I log in?", "Why can't I log in?"));
        assertEquals("negation", disagreement("Can I use it with an account?", "Can I use it without an account?"));
        assertEquals("named", disagreement("Install on Android?", "Install on iOS?"));
        assertEquals("named", disagreement("How do I reset my password?", "How do I reset my username?"));
        assertEquals("named", disagreement("Connect my Google Calendar", "Connect my Outlook Calendar"));
        assertEquals("opposite", disagreement("How do I enable 2FA", "How do I disable 2FA"));
        assertEquals("opposite", disagreement("How do I turn on alerts", "How do I turn off alerts"));
        assertNull(disagreement("How do I reset my password?", "how can i reset my password"));
        assertNull(disagreement("Why can't I log in?", "Why am I not able to log in?"));
        assertNull(disagreement("Change my email address", "Change my e-mail address"));
        assertNull(disagreement("Where is my order history?", "Where are my past orders?"));
        assertNull(disagreement("Is the app online?", "Is the app on line again?"), "short stems are whole words");
    }

    private static String disagreement(String a, String b) {
        return MeaningGuard.disagreement(MeaningGuard.features(a), MeaningGuard.features(b));
    }

    @Test
    void aRequestMayOnlyTightenTheThreshold() {
        assertEquals(0.9, SemanticDirective.parse(null).effective(0.9));
        assertEquals(0.97, SemanticDirective.parse("0.97").effective(0.9));
        assertEquals(0.9, SemanticDirective.parse("0.5").effective(0.9));
        assertTrue(SemanticDirective.parse("OFF").off());
        assertFalse(SemanticDirective.parse(" 0.95 ").off());
        assertThrows(StrataException.class, () -> SemanticDirective.parse("1.5"));
        assertThrows(StrataException.class, () -> SemanticDirective.parse("high"));
    }

    @Test
    void vectorsAreUnitAndRoundTrip() {
        float[] unit = Vectors.unit(new float[]{3, 4});
        assertEquals(1.0, Vectors.cosine(unit, unit), 1e-6);
        assertEquals(0.6f, Vectors.decode(Vectors.encode(unit))[0], 1e-6);
        assertNull(Vectors.unit(new float[]{0, 0}));
        assertEquals(-1, Vectors.cosine(unit, new float[]{1, 0, 0}));
    }
}
