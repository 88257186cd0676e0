package io.strata.proxy;

import io.strata.cache.CacheEntry;

/**
 * What an answer was made of, for its history record: decided once when the answer is rendered,
 * never set along the way.
 */
public sealed interface Served {

    /** The provider's status behind the answer, or null when the provider was not asked. */
    Integer upstreamStatus();

    /** A stored or freshly fetched entry. */
    record Entry(CacheEntry entry, Integer upstreamStatus) implements Served {
    }

    /** A stored entry that answered a request whose final user text means the same (HIT-SEMANTIC). */
    record SemanticEntry(CacheEntry entry, double similarity) implements Served {
        @Override
        public Integer upstreamStatus() {
            return null;
        }
    }

    /** A body that is not an entry: an error, a relayed provider error, a passed-through answer. */
    record Body(byte[] bytes, Integer upstreamStatus) implements Served {
    }

    /** A live stream of a flight: the record is made from the flight's outcome once it ends. */
    record Live(Flight flight, Integer upstreamStatus) implements Served {
    }

    /** A passed-through stream, recorded without its body. */
    record Unrecorded(Integer upstreamStatus) implements Served {
    }
}
