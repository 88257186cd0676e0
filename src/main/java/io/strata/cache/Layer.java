package io.strata.cache;

/** The cache layers, named as metrics and history report them. */
public enum Layer {
    NEAR("near"), L1("l1"), L2("l2");

    private final String tag;

    Layer(String tag) {
        this.tag = tag;
    }

    public String tag() {
        return tag;
    }
}
