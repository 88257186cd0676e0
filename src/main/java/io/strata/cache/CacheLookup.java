package io.strata.cache;

/**
 * What the layered lookup found: a fresh entry and the layer it came from, an expired entry still
 * inside its stale grace (kept to answer STALE if the provider fails), or nothing.
 */
public record CacheLookup(CacheEntry entry, Layer layer, boolean fresh) {

    private static final CacheLookup MISS = new CacheLookup(null, null, false);

    public static CacheLookup miss() {
        return MISS;
    }

    public static CacheLookup hit(CacheEntry entry, Layer layer) {
        return new CacheLookup(entry, layer, true);
    }

    public static CacheLookup stale(CacheEntry entry) {
        return new CacheLookup(entry, Layer.L2, false);
    }

    public boolean isHit() {
        return entry != null && fresh;
    }

    /** An entry to fall back on when the provider fails. */
    public CacheEntry staleCandidate() {
        return entry != null && !fresh ? entry : null;
    }
}
