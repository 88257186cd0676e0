package io.strata.semantic;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Candidate sets in memory, so a lookup compares vectors without a round trip to L2: bounded in
 * sets (least recently used go first) and in candidates per set, and each set read again from L2
 * once it is older than its time to live, which bounds how long another instance's new entries go
 * unseen. It is only ever a list of pointers: a candidate is served after its entry is read from
 * the exact layers by key, so a candidate deleted elsewhere is a miss, never a wrong answer.
 */
final class CandidateIndex {

    private record CandidateSet(List<Candidate> candidates, long loadedAtMillis) {
    }

    private final int maxSets;
    private final int maxCandidates;
    private final long ttlMillis;
    private final Map<String, CandidateSet> sets;

    CandidateIndex(int maxSets, int maxCandidates, long ttlMillis) {
        this.maxSets = maxSets;
        this.maxCandidates = maxCandidates;
        this.ttlMillis = ttlMillis;
        this.sets = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, CandidateSet> eldest) {
                return size() > CandidateIndex.this.maxSets;
            }
        };
    }

    /** The set if it was read recently enough, else null (read it from L2). */
    synchronized List<Candidate> get(String contextKey, long nowMillis) {
        if (maxSets <= 0) {
            return null;
        }
        CandidateSet set = sets.get(contextKey);
        if (set == null || nowMillis - set.loadedAtMillis() >= ttlMillis) {
            return null;
        }
        return set.candidates();
    }

    synchronized void loaded(String contextKey, List<Candidate> candidates, long nowMillis) {
        if (maxSets > 0) {
            sets.put(contextKey, new CandidateSet(List.copyOf(candidates), nowMillis));
        }
    }

    /** A vector this instance just stored joins its set, if the set is in memory (newest first, bounded). */
    synchronized void added(String contextKey, Candidate candidate) {
        CandidateSet set = sets.get(contextKey);
        if (set == null) {
            return;
        }
        List<Candidate> updated = new ArrayList<>(Math.min(maxCandidates, set.candidates().size() + 1));
        updated.add(candidate);
        for (Candidate old : set.candidates()) {
            if (updated.size() >= maxCandidates) {
                break;
            }
            if (!old.cacheKey().equals(candidate.cacheKey())) {
                updated.add(old);
            }
        }
        sets.put(contextKey, new CandidateSet(List.copyOf(updated), set.loadedAtMillis()));
    }

    /** A candidate whose entry is gone. */
    synchronized void removed(String contextKey, String cacheKey) {
        CandidateSet set = sets.get(contextKey);
        if (set != null) {
            sets.put(contextKey, new CandidateSet(set.candidates().stream().filter(c -> !c.cacheKey().equals(cacheKey)).toList(),
                    set.loadedAtMillis()));
        }
    }

    synchronized void clear() {
        sets.clear();
    }

    synchronized int vectors() {
        int n = 0;
        for (CandidateSet set : sets.values()) {
            n += set.candidates().size();
        }
        return n;
    }
}
