package io.strata.cache;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.JsonNode;

import io.strata.config.CacheConfig;

/**
 * Computes cache keys: SHA-256 over the key schema version, scope, namespace, endpoint and the
 * canonical form of the body, which is written straight into the digest's input buffer.
 */
@Singleton
public class CacheKeyFactory {

    /** Bumped whenever the canonical form changes, so old entries can never be read as new ones. */
    static final String KEY_SCHEMA_VERSION = "strata-key-v1";

    private static final HexFormat HEX = HexFormat.of();
    /** Per thread, reused: a key costs no digest lookup and no buffer allocation. */
    private static final ThreadLocal<MessageDigest> DIGESTS = ThreadLocal.withInitial(CacheKeyFactory::sha256);
    private static final ThreadLocal<CanonicalSink> SINKS = ThreadLocal.withInitial(CanonicalSink::new);

    private final CanonicalJson canonical;

    @Inject
    public CacheKeyFactory(CacheConfig config) {
        this(config.normalization());
    }

    public CacheKeyFactory(CacheConfig.Normalization normalization) {
        this.canonical = new CanonicalJson(new TextNormalizer(normalization));
    }

    /**
     * @param scope     the caller's partition (a hash of its client key, or "shared")
     * @param namespace the X-Cache-Namespace partition inside the scope ("" when none)
     * @param endpoint  the endpoint name, e.g. "chat.completions"
     * @param body      the parsed request body, or null for bodiless requests
     */
    public CacheKey key(String scope, String namespace, String endpoint, JsonNode body) {
        return key(scope, namespace, endpoint, body, null);
    }

    /**
     * As {@link #key(String, String, String, JsonNode)}, with the request's query string (Azure
     * OpenAI's {@code api-version}): a request with one never shares an entry with one without it or
     * with another query. Requests without a query keep the keys they always had.
     */
    public CacheKey key(String scope, String namespace, String endpoint, JsonNode body, String query) {
        MessageDigest sha = DIGESTS.get();
        update(sha, KEY_SCHEMA_VERSION);
        update(sha, scope);
        update(sha, namespace);
        update(sha, endpoint);
        if (body != null) {
            CanonicalSink sink = SINKS.get().reset();
            canonical.write(endpoint, body, sink);
            sink.digestInto(sha);
        }
        if (query != null) {
            update(sha, "?" + query);
        }
        return new CacheKey(HEX.formatHex(sha.digest()), scope, namespace, endpoint); // digest() also resets it for reuse
    }

    /** The canonical form hashed into the key; exposed for tests and debugging. */
    public String canonicalForm(JsonNode body) {
        return canonical.write("chat.completions", body);
    }

    /** The canonical form of a body sent to this endpoint. */
    public String canonicalForm(String endpoint, JsonNode body) {
        return canonical.write(endpoint, body);
    }

    private static void update(MessageDigest sha, String part) {
        sha.update(part.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0); // separator: no part can run into the next
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
        }
    }

    /** Hex SHA-256 of a secret, shortened: used to name a client key's scope without storing the key. */
    public static String scopeOf(String clientKey) {
        byte[] digest = sha256().digest(clientKey.getBytes(StandardCharsets.UTF_8));
        return "k:" + HEX.formatHex(digest, 0, 16);
    }
}
