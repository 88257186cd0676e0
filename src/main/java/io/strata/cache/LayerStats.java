package io.strata.cache;

/**
 * Size of one layer: entries and bytes, or -1 where the layer could not be asked.
 *
 * @param approximate true when the figures are estimates (Redis: a capped SCAN and the whole server's memory)
 */
public record LayerStats(String layer, boolean available, long entries, long bytes, boolean approximate) {

    public static LayerStats unavailable(String layer) {
        return new LayerStats(layer, false, -1, -1, false);
    }
}
