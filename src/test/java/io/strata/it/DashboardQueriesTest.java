package io.strata.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;

import org.junit.jupiter.api.Test;

/** The dashboard's queries are read as PromQL: series names, not functions, labels or Grafana variables. */
class DashboardQueriesTest {

    @Test
    void seriesNamesAreTheSelectorsOfAQuery() {
        assertEquals(Set.of("strata_upstream_seconds_sum", "strata_upstream_seconds_count"), DashboardQueries.seriesNames(
                "sum by (status) (rate(strata_upstream_seconds_sum{namespace=~\"$namespace\", status=~\"5..\"}[$__rate_interval]))"
                        + " / sum by (status) (rate(strata_upstream_seconds_count{instance=~\"$instance\"}[5m])) * 3600"));
        assertEquals(Set.of("process_resident_memory_bytes", "jvm_memory_used_bytes"),
                DashboardQueries.seriesNames("sum by (instance) (process_resident_memory_bytes) or sum(jvm_memory_used_bytes)"));
        assertEquals(Set.of("strata_cache_requests_total"),
                DashboardQueries.seriesNames("label_values(strata_cache_requests_total{namespace=~\"$namespace\"}, instance)"));
    }

    @Test
    void theDashboardIsRead() throws Exception {
        Set<String> names = DashboardQueries.seriesNames();
        assertTrue(names.size() > 20, names.toString());
        assertTrue(names.contains("strata_cache_requests_total") && names.contains("strata_history_queue_size"), names.toString());
        assertTrue(names.stream().allMatch(name -> name.matches("(strata|process|jvm)_[a-z0-9_]+")), names.toString());
    }
}
