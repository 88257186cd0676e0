package io.strata.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.strata.testing.TestServers;

/**
 * Every series the Grafana dashboard queries is on /q/metrics of a packaged Strata that has just
 * started and answered nothing: a panel or an alert on a counter that appears only at its first
 * event reads "no data" instead of 0, and a rate over it misses that first event.
 */
class DashboardMetricsIT {

    private static TestServers servers;
    private static StrataProcess strata;

    @BeforeAll
    static void start() throws Exception {
        servers = new TestServers();
        Map<String, String> config = new HashMap<>(servers.start());
        config.remove("strata.test.control-url");
        config.remove("strata.test.redis-url");
        strata = StrataProcess.start("dashboard", config);
    }

    @AfterAll
    static void stop() throws Exception {
        if (strata != null) {
            strata.close();
        }
        servers.stop();
    }

    @Test
    void everySeriesTheDashboardQueriesExistsFromStart() throws Exception {
        HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + strata.managementPort + "/q/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, metrics.statusCode());
        Set<String> exposed = new TreeSet<>();
        for (String line : metrics.body().split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                exposed.add(line.split("[{ ]", 2)[0]);
            }
        }
        Set<String> missing = new TreeSet<>(DashboardQueries.seriesNames());
        missing.removeAll(exposed);
        assertEquals(Set.of(), missing, "queried by the dashboard, absent from /q/metrics at start");
    }
}
