package io.strata.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The history explorer at /ui/: its files are static resources in the jar (META-INF/resources/ui),
 * served by Quarkus; these routes add the security headers to every one of them and answer the
 * page's own paths (deep links such as /ui/sessions/{id}) with its index, so a link opens the view.
 */
@Singleton
public class UiRoutes {

    /** Scripts, styles and data only from this origin, and no inline code: the page runs nothing it did not ship. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /** Before the body-limit filter and the proxy routes: the page is no proxy path. */
    private static final int ORDER = -2000;

    private static final String INDEX = "META-INF/resources/ui/index.html";

    private final Buffer index = Buffer.buffer(read(INDEX));

    void install(@Observes Router router) {
        router.getWithRegex("/ui").order(ORDER)
                .handler(context -> context.response().setStatusCode(301).putHeader("Location", "/ui/").end());
        router.route("/ui/*").order(ORDER).handler(UiRoutes::securityHeaders);
        router.getWithRegex("/ui/(?:|overview|sessions|(?:sessions|users)/[^/]+)").order(ORDER + 1).handler(this::index);
    }

    private static void securityHeaders(RoutingContext context) {
        // The files keep their names across versions: the browser asks again each time (a 304 when unchanged).
        context.addHeadersEndHandler(ignored -> context.response().headers().set("Cache-Control", "no-cache"));
        context.response().putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("Referrer-Policy", "no-referrer")
                .putHeader("X-Frame-Options", "DENY");
        context.next();
    }

    private void index(RoutingContext context) {
        context.response().putHeader("Content-Type", "text/html; charset=utf-8").end(index);
    }

    private static byte[] read(String resource) {
        try (InputStream in = UiRoutes.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the build");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
