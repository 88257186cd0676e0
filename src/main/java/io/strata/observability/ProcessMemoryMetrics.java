package io.strata.observability;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import jakarta.inject.Singleton;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.quarkus.runtime.Startup;

/**
 * process_resident_memory_bytes: the resident set size, which is what a container's memory limit
 * counts (heap figures miss metaspace, code cache, thread stacks, direct buffers and, in a native
 * image, everything). Read from procfs at each scrape: an in-memory file, no disk I/O. Not
 * registered where there is no /proc (not Linux).
 */
@Startup
@Singleton
public class ProcessMemoryMetrics {

    private static final Path STATUS = Path.of("/proc/self/status");

    public ProcessMemoryMetrics(MeterRegistry registry) {
        if (Files.isReadable(STATUS)) {
            Gauge.builder("process.resident.memory", this, ProcessMemoryMetrics::residentBytes)
                    .baseUnit(BaseUnits.BYTES)
                    .description("Resident set size of the process")
                    .register(registry); // this bean is held by the container, so the weakly held gauge state stays
        }
    }

    double residentBytes() {
        try {
            return residentBytes(Files.readString(STATUS));
        } catch (IOException | RuntimeException unreadable) {
            return Double.NaN;
        }
    }

    /** The VmRSS line of /proc/self/status ("VmRSS:    123456 kB"), in bytes. */
    static double residentBytes(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("VmRSS:")) {
                String kilobytes = line.substring("VmRSS:".length()).replace("kB", "").strip();
                return Long.parseLong(kilobytes) * 1024.0;
            }
        }
        return Double.NaN;
    }
}
