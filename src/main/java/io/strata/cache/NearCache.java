package io.strata.cache;

import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.inject.Singleton;

import io.strata.config.CacheConfig;

/**
 * The optional in-process near cache: a bounded map in front of L1. An entry is served from
 * memory for at most the near TTL (and never past its own freshness), so another instance's
 * refresh or an invalidation elsewhere is seen within that bound; local deletes and invalidations
 * clear it at once.
 */
@Singleton
public class NearCache {

    private final boolean enabled;
    private final int maxEntries;
    private final long ttlMillis;
    private final long maxEntryBytes;
    private final ConcurrentHashMap<String, Slot> slots = new ConcurrentHashMap<>();

    private record Slot(CacheEntry entry, long keptUntilMillis) {
    }

    public NearCache(CacheConfig config) {
        this.enabled = config.near().enabled();
        this.maxEntries = config.near().maxEntries();
        this.ttlMillis = config.near().ttl().toMillis();
        this.maxEntryBytes = config.near().maxEntrySize().asLongValue();
    }

    public boolean enabled() {
        return enabled;
    }

    /** The entry when it is held and still fresh, else null. */
    public CacheEntry get(String hexKey, long nowMillis) {
        if (!enabled) {
            return null;
        }
        Slot slot = slots.get(hexKey);
        if (slot == null) {
            return null;
        }
        if (nowMillis >= slot.keptUntilMillis()) {
            slots.remove(hexKey, slot);
            return null;
        }
        return slot.entry();
    }

    public void put(CacheEntry entry, long nowMillis) {
        if (!enabled || entry.body().length + (entry.events() == null ? 0 : entry.events().length) > maxEntryBytes) {
            return;
        }
        long until = Math.min(entry.expiresAtMillis(), nowMillis + ttlMillis);
        if (until <= nowMillis) {
            return;
        }
        if (slots.size() >= maxEntries) {
            evictSome();
        }
        slots.put(entry.key().hex(), new Slot(entry, until));
    }

    public void remove(String hexKey) {
        slots.remove(hexKey);
    }

    public void clear() {
        slots.clear();
    }

    public int size() {
        return slots.size();
    }

    /** Makes room by dropping about a tenth of the entries (any: they are all at most one near TTL old). */
    private void evictSome() {
        int toDrop = Math.max(1, maxEntries / 10);
        for (Iterator<String> keys = slots.keySet().iterator(); keys.hasNext() && toDrop > 0; toDrop--) {
            keys.next();
            keys.remove();
        }
    }
}
