package io.strata.proxy;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.JsonNode;

import io.strata.cache.CacheEntry;
import io.strata.cache.CacheStatus;
import io.strata.core.OpenAiErrors;
import io.strata.core.StrataException;
import io.strata.history.ExchangeFacts;
import io.strata.history.HistoryRecorder;
import io.strata.upstream.UpstreamErrors;

/**
 * Records one exchange from what it was made of ({@link Served}), once the answer has been sent;
 * a live stream is recorded when its flight ends, whether or not the client stayed.
 */
@Singleton
public class ExchangeRecorder {

    private final HistoryRecorder history;

    public ExchangeRecorder(HistoryRecorder history) {
        this.history = history;
    }

    public boolean enabled() {
        return history.enabled();
    }

    public void record(ProxyRequest request, ProxyResult result) {
        if (!history.enabled()) {
            return;
        }
        Served served = result.served();
        if (served instanceof Served.Entry entry) {
            record(request, result, entry.entry(), entry.entry().body(), entry.upstreamStatus());
        } else if (served instanceof Served.SemanticEntry semantic) {
            history.record(facts(request, result, semantic.entry(), semantic.entry().body(), null)
                    .servedBySemantic(semantic.similarity(), semantic.entry().key().hex()));
        } else if (served instanceof Served.Body body) {
            record(request, result, null, body.bytes(), body.upstreamStatus());
        } else if (served instanceof Served.Live live) {
            live.flight().outcome().subscribe().with(outcome -> {
                if (outcome instanceof Flight.Answer answer) {
                    record(request, result, answer.entry(), answer.entry().body(), live.upstreamStatus());
                } else if (outcome instanceof Flight.Failed failed) {
                    record(request, result, null, OpenAiErrors.body(UpstreamErrors.asStrataError(failed.failure())),
                            live.upstreamStatus());
                } else {
                    record(request, result, null, null, live.upstreamStatus());
                }
            });
        } else {
            record(request, result, null, null, served.upstreamStatus());
        }
    }

    /** A request refused before the pipeline (invalid body, bad header): still one record. */
    public void recordRefused(Endpoint endpoint, RequestContext context, byte[] rawBody, JsonNode body, StrataException error) {
        if (!history.enabled()) {
            return;
        }
        history.record(new ExchangeFacts(context.requestId(), context.startedAtMillis(), context.elapsedMillis(), context.scope(),
                context.sessionId(), context.userId(), endpoint.id(), rawBody, body, null, error.status(),
                CacheStatus.BYPASS.header(), null, null, null, null, OpenAiErrors.body(error), null, null));
    }

    private void record(ProxyRequest request, ProxyResult result, CacheEntry entry, byte[] response, Integer upstreamStatus) {
        history.record(facts(request, result, entry, response, upstreamStatus));
    }

    private static ExchangeFacts facts(ProxyRequest request, ProxyResult result, CacheEntry entry, byte[] response,
            Integer upstreamStatus) {
        RequestContext context = request.context();
        boolean continued = context.receivedBody() != null;
        return new ExchangeFacts(context.requestId(), context.startedAtMillis(), context.elapsedMillis(), context.scope(),
                context.sessionId(), context.userId(), request.endpoint().id(),
                continued ? context.receivedBody() : request.rawBody(), continued ? context.received() : request.body(),
                context.sentMessages(), result.status(), result.cacheStatus().header(),
                entry == null ? null : entry.modelVersion(),
                entry == null || entry.promptTokens() < 0 ? null : entry.promptTokens(),
                entry == null || entry.completionTokens() < 0 ? null : entry.completionTokens(),
                upstreamStatus, response, null, null);
    }
}
