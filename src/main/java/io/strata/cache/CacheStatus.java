package io.strata.cache;

/** The values of the X-Cache-Status response header. */
public enum CacheStatus {
    HIT_NEAR("HIT-NEAR"), HIT_L1("HIT-L1"), HIT_L2("HIT-L2"), HIT_SEMANTIC("HIT-SEMANTIC"), MISS("MISS"), BYPASS("BYPASS"), STALE(
            "STALE"), COALESCED("COALESCED");

    private final String header;

    CacheStatus(String header) {
        this.header = header;
    }

    /** The value sent in X-Cache-Status and used as the metric tag. */
    public String header() {
        return header;
    }
}
