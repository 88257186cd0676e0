package io.strata.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.strata.config.CacheConfig.Normalization;

class CacheKeyFactoryTest {

    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private static final String BASE = """
            {"model":"gpt-4o","temperature":0.2,"messages":[{"role":"user","content":"Hello"}]}""";

    @Test
    void fieldsThatCannotChangeTheAnswerDoNotChangeTheKey() {
        assertSameKey(BASE, """
                {"model":"gpt-4o","temperature":0.2,"messages":[{"role":"user","content":"Hello"}],
                 "user":"alice","metadata":{"a":"b"},"store":true,"stream":true,"stream_options":{"include_usage":true}}""");
    }

    @Test
    void keyOrderWhiteSpaceAndNumberFormDoNotChangeTheKey() {
        assertSameKey(BASE, """
                {  "messages" : [ { "content":"Hello", "role":"user" } ],
                   "temperature": 0.20, "model": "gpt-4o" }""");
        assertSameKey("""
                {"model":"m","n":1,"messages":[]}""", """
                {"model":"m","n":1.0,"messages":[]}""");
        assertSameKey("""
                {"model":"m","max_tokens":100,"messages":[]}""", """
                {"model":"m","max_tokens":1e2,"messages":[]}""");
    }

    @Test
    void standardNormalisationTrimsUnifiesLineEndsAndLoneTextParts() {
        assertSameKey(BASE, """
                {"model":"gpt-4o","temperature":0.2,"messages":[{"role":"user","content":"  Hello\\n "}]}""");
        assertSameKey(BASE, """
                {"model":"gpt-4o","temperature":0.2,"messages":[{"role":"user","content":[{"type":"text","text":"Hello"}]}]}""");
        assertSameKey("""
                {"model":"m","messages":[{"role":"user","content":"a\\r\\nb"}]}""", """
                {"model":"m","messages":[{"role":"user","content":"a\\nb"}]}""");
        // NFC: e + combining acute equals the precomposed é
        assertSameKey("""
                {"model":"m","messages":[{"role":"user","content":"caf\\u00e9"}]}""", """
                {"model":"m","messages":[{"role":"user","content":"cafe\\u0301"}]}""");
    }

    @Test
    void strictNormalisationKeepsTextAsSent() {
        CacheKeyFactory strict = factory(Normalization.STRICT);
        assertNotEquals(key(strict, BASE), key(strict, """
                {"model":"gpt-4o","temperature":0.2,"messages":[{"role":"user","content":" Hello"}]}"""));
        assertEquals(key(strict, BASE), key(strict, """
                {"messages":[{"role":"user","content":"Hello"}],"model":"gpt-4o","temperature":0.20}"""));
    }

    @Test
    void aggressiveNormalisationCollapsesWhiteSpaceRuns() {
        CacheKeyFactory aggressive = factory(Normalization.AGGRESSIVE);
        assertEquals(key(aggressive, """
                {"model":"m","messages":[{"role":"user","content":"a   b\\n\\nc"}]}"""), key(aggressive, """
                {"model":"m","messages":[{"role":"user","content":"a b c"}]}"""));
        assertNotEquals(key(factory(Normalization.STANDARD), """
                {"model":"m","messages":[{"role":"user","content":"a   b"}]}"""), key(factory(Normalization.STANDARD), """
                {"model":"m","messages":[{"role":"user","content":"a b"}]}"""));
    }

    @Test
    void samplingParametersModelAndTextChangeTheKey() {
        CacheKeyFactory keys = factory(Normalization.STANDARD);
        String base = key(keys, BASE);
        assertNotEquals(base, key(keys, BASE.replace("0.2", "0.3")));
        assertNotEquals(base, key(keys, BASE.replace("gpt-4o", "gpt-4o-mini")));
        assertNotEquals(base, key(keys, BASE.replace("Hello", "hello")));
        // white space inside the text is meaning in standard mode
        assertNotEquals(base, key(keys, BASE.replace("Hello", "Hel lo")));
        // non-text fields are never trimmed
        assertNotEquals(key(keys, """
                {"model":"m","stop":[" "],"messages":[]}"""), key(keys, """
                {"model":"m","stop":[""],"messages":[]}"""));
    }

    @Test
    void scopeNamespaceAndEndpointPartitionTheKey() throws Exception {
        CacheKeyFactory keys = factory(Normalization.STANDARD);
        JsonNode body = JSON.readTree(BASE);
        String base = keys.key("scope-a", "", "chat.completions", body).hex();
        assertNotEquals(base, keys.key("scope-b", "", "chat.completions", body).hex());
        assertNotEquals(base, keys.key("scope-a", "ns", "chat.completions", body).hex());
        assertNotEquals(base, keys.key("scope-a", "", "completions", body).hex());
        // a separator keeps parts from running into each other
        assertNotEquals(keys.key("ab", "c", "e", body).hex(), keys.key("a", "bc", "e", body).hex());
        assertEquals(64, base.length());
    }

    @Test
    void scopeOfAClientKeyIsStableAndDoesNotRevealIt() {
        assertEquals(CacheKeyFactory.scopeOf("sk-one"), CacheKeyFactory.scopeOf("sk-one"));
        assertNotEquals(CacheKeyFactory.scopeOf("sk-one"), CacheKeyFactory.scopeOf("sk-two"));
        assertEquals(false, CacheKeyFactory.scopeOf("sk-one").contains("sk-one"));
    }

    private static void assertSameKey(String a, String b) {
        CacheKeyFactory keys = factory(Normalization.STANDARD);
        assertEquals(key(keys, a), key(keys, b), () -> "canonical forms: " + canonical(keys, a) + " vs " + canonical(keys, b));
    }

    private static String key(CacheKeyFactory keys, String body) {
        try {
            return keys.key("scope", "", "chat.completions", JSON.readTree(body)).hex();
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static String canonical(CacheKeyFactory keys, String body) {
        try {
            return keys.canonicalForm(JSON.readTree(body));
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    static CacheKeyFactory factory(Normalization normalization) {
        return new CacheKeyFactory(normalization);
    }
}
