package io.strata.proxy;

import java.time.Duration;
import java.util.regex.Pattern;

import io.strata.cache.CacheEntry;
import io.strata.core.StrataException;
import io.strata.semantic.SemanticDirective;

/**
 * What the request asks of the cache: its Cache-Control directives (HTTP meaning), X-Cache-TTL,
 * X-Cache-Namespace and X-Cache-Semantic.
 *
 * @param maxAgeSeconds accept only entries younger than this; -1 when not given
 * @param ttl           the TTL of the entry this request stores; null for the endpoint default
 */
public record CacheDirectives(boolean noCache, boolean noStore, long maxAgeSeconds, boolean onlyIfCached, Duration ttl,
        String namespace, SemanticDirective semantic) {

    private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9._:/-]{1,128}");

    public static final CacheDirectives NONE = new CacheDirectives(false, false, -1, false, null, "", SemanticDirective.DEFAULT);

    /** As {@link #parse(String, String, String, String, Duration)} without an X-Cache-Semantic header. */
    public static CacheDirectives parse(String cacheControl, String ttlHeader, String namespaceHeader, Duration maxTtl) {
        return parse(cacheControl, ttlHeader, namespaceHeader, null, maxTtl);
    }

    /** @throws StrataException 400 on an X-Cache-TTL, X-Cache-Namespace or X-Cache-Semantic that is not valid */
    public static CacheDirectives parse(String cacheControl, String ttlHeader, String namespaceHeader, String semanticHeader,
            Duration maxTtl) {
        if (cacheControl == null && ttlHeader == null && namespaceHeader == null && semanticHeader == null) {
            return NONE;
        }
        boolean noCache = false;
        boolean noStore = false;
        boolean onlyIfCached = false;
        long maxAge = -1;
        if (cacheControl != null) {
            for (String part : cacheControl.split(",")) {
                String directive = part.strip().toLowerCase(java.util.Locale.ROOT);
                if (directive.equals("no-cache")) {
                    noCache = true;
                } else if (directive.equals("no-store")) {
                    noStore = true;
                } else if (directive.equals("only-if-cached")) {
                    onlyIfCached = true;
                } else if (directive.startsWith("max-age=")) {
                    maxAge = parseSeconds(directive.substring(8).replace("\"", ""), "Cache-Control");
                }
            }
        }
        Duration ttl = null;
        if (ttlHeader != null) {
            long seconds = parseSeconds(ttlHeader.strip(), "X-Cache-TTL");
            ttl = Duration.ofSeconds(seconds).compareTo(maxTtl) > 0 ? maxTtl : Duration.ofSeconds(seconds);
        }
        String namespace = "";
        if (namespaceHeader != null && !namespaceHeader.isBlank()) {
            namespace = namespaceHeader.strip();
            if (!NAMESPACE.matcher(namespace).matches()) {
                throw StrataException.invalidRequest("invalid_request", "X-Cache-Namespace",
                        "X-Cache-Namespace must be 1 to 128 characters of letters, digits and . _ : / -");
            }
        }
        return new CacheDirectives(noCache, noStore, maxAge, onlyIfCached, ttl, namespace, SemanticDirective.parse(semanticHeader));
    }

    private static long parseSeconds(String value, String header) {
        try {
            long seconds = Long.parseLong(value);
            if (seconds >= 0) {
                return seconds;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw StrataException.invalidRequest("invalid_request", header, header + " must be a whole number of seconds, 0 or more");
    }

    /** no-cache, no-store and max-age=0 go to the provider without looking at the cache. */
    public boolean skipsLookup() {
        return noCache || noStore || maxAgeSeconds == 0;
    }

    /** Whether the answer may be stored (no-store forbids it, and so does a TTL of 0). */
    public boolean allowsStore() {
        return !noStore && (ttl == null || !ttl.isZero());
    }

    /** Whether a found entry is young enough for this request. */
    public boolean accepts(CacheEntry entry, long nowMillis) {
        return maxAgeSeconds < 0 || nowMillis - entry.createdAtMillis() < maxAgeSeconds * 1000;
    }
}
