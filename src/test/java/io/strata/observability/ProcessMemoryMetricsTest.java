package io.strata.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ProcessMemoryMetricsTest {

    @Test
    void residentSizeIsTheVmRssLineInBytes() {
        assertEquals(123456 * 1024.0,
                ProcessMemoryMetrics.residentBytes("Name:\tjava\nVmPeak:\t  999 kB\nVmRSS:\t  123456 kB\nThreads:\t40\n"));
        assertTrue(Double.isNaN(ProcessMemoryMetrics.residentBytes("Name:\tjava\n")));
    }
}
