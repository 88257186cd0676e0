package io.strata.testing;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import io.micrometer.core.instrument.Metrics;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Captures what Micrometer logs from before the application starts (a test resource starts
 * first), debug included: its duplicate-registration message is a warning only the first time in
 * a JVM, then debug. Read it with {@link #micrometerMessages()}.
 */
public class StartupLog implements QuarkusTestResourceLifecycleManager {

    static final String CATEGORY = "io.micrometer";

    @Override
    public Map<String, String> start() {
        Logger logger = Logger.getLogger(CATEGORY);
        for (Handler old : logger.getHandlers()) {
            if (old instanceof Capture) {
                logger.removeHandler(old);
            }
        }
        logger.addHandler(new Capture());
        // Micrometer's global registry outlives the applications an earlier test class started in this
        // JVM (their meters stay in it): start from an empty one, as a process does.
        Metrics.globalRegistry.clear();
        return Map.of("quarkus.log.category.\"" + CATEGORY + "\".level", "DEBUG");
    }

    @Override
    public void stop() {
        Logger logger = Logger.getLogger(CATEGORY);
        for (Handler handler : logger.getHandlers()) {
            if (handler.getClass().getName().equals(Capture.class.getName())) {
                logger.removeHandler(handler);
            }
        }
    }

    /** Every message logged under io.micrometer since this resource started. */
    @SuppressWarnings("unchecked")
    public static List<String> micrometerMessages() {
        for (Handler handler : Logger.getLogger(CATEGORY).getHandlers()) {
            // the test may see this class through another class loader than the resource did: only JDK types cross
            if (handler.getClass().getName().equals(Capture.class.getName())) {
                return ((Supplier<List<String>>) handler).get();
            }
        }
        throw new IllegalStateException("StartupLog is not installed: annotate the test with @QuarkusTestResource(StartupLog.class)");
    }

    static final class Capture extends Handler implements Supplier<List<String>> {
        private final List<String> messages = new CopyOnWriteArrayList<>();

        @Override
        public void publish(LogRecord record) {
            messages.add(record.getLevel() + " " + record.getLoggerName() + ": " + record.getMessage());
        }

        @Override
        public List<String> get() {
            return List.copyOf(messages);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
