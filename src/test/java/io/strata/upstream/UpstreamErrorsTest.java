package io.strata.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.eclipse.microprofile.faulttolerance.exceptions.BulkheadException;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;
import org.junit.jupiter.api.Test;

import io.strata.core.StrataException;
import io.vertx.core.MultiMap;

/** The translation of failed provider calls into the errors of SPEC §2.4, and which of them Strata already retried. */
class UpstreamErrorsTest {

    private static void assertError(Throwable failure, int status, String code) {
        StrataException error = UpstreamErrors.asStrataError(failure);
        assertEquals(status, error.status(), failure.toString());
        assertEquals(code, error.code(), failure.toString());
    }

    @Test
    void faultToleranceOutcomesAreOpenAiErrors() {
        assertError(new CircuitBreakerOpenException("open"), 503, "upstream_unavailable");
        assertError(new TimeoutException("slow"), 504, "upstream_timeout");
        assertError(new BulkheadException("full"), 429, "rate_limited");
        assertError(new UpstreamConnectFailure(new java.net.ConnectException("refused")), 502, "upstream_unavailable");
        assertError(new UpstreamBadResponse("not json"), 502, "upstream_bad_response");
        assertEquals("10", UpstreamErrors.asStrataError(new CircuitBreakerOpenException("open")).headers().get("Retry-After"));
        assertEquals("1", UpstreamErrors.asStrataError(new BulkheadException("full")).headers().get("Retry-After"));
    }

    @Test
    void onlyWhatTheGuardRetriesIsMarkedAsRetried() {
        UpstreamResponse error = new UpstreamResponse(500, MultiMap.caseInsensitiveMultiMap(), io.vertx.core.buffer.Buffer.buffer("{}"));
        assertTrue(UpstreamErrors.retriedByGuard(new UpstreamServerError(error)));
        assertTrue(UpstreamErrors.retriedByGuard(new UpstreamConnectFailure(new java.io.IOException("reset"))));
        assertTrue(UpstreamErrors.retriedByGuard(new UpstreamRateLimited(error, 10)));
        assertFalse(UpstreamErrors.retriedByGuard(new TimeoutException("not retried")));
        assertFalse(UpstreamErrors.retriedByGuard(new CircuitBreakerOpenException("not called")));
        assertFalse(UpstreamErrors.retriedByGuard(new UpstreamBadResponse("answered")));
        assertEquals(error, UpstreamErrors.providerAnswer(new UpstreamServerError(error)));
    }
}
