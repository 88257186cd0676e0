package io.strata.api;

import java.util.Map;

import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.strata.core.OpenAiErrors;
import io.strata.core.StrataException;

/** Every error leaves Strata OpenAI-shaped, whatever raised it. */
public class ErrorMappers {

    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

    @ServerExceptionMapper
    public Response strata(StrataException error) {
        return toResponse(error);
    }

    @ServerExceptionMapper
    public Response notFound(NotFoundException error) {
        return toResponse(StrataException.notFound("Unknown request URL."));
    }

    @ServerExceptionMapper
    public Response notAllowed(NotAllowedException error) {
        return toResponse(new StrataException(405, "invalid_request_error", "method_not_allowed", null,
                "Method not allowed on this URL.", Map.of()));
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException error) {
        int status = error.getResponse().getStatus();
        if (status == 413) {
            return toResponse(new StrataException(413, "invalid_request_error", "body_too_large", null,
                    "Request body exceeds the limit.", Map.of()));
        }
        return toResponse(new StrataException(status, status >= 500 ? "server_error" : "invalid_request_error",
                status >= 500 ? "internal_error" : "invalid_request", null, error.getMessage(), Map.of()));
    }

    @ServerExceptionMapper
    public Response unexpected(RuntimeException error) {
        return toResponse(unexpectedAsStrata(error));
    }

    StrataException unexpectedAsStrata(Throwable error) {
        LOG.error("Unexpected error while handling a request", error);
        return new StrataException(500, "server_error", "internal_error", null, "Strata failed to handle the request.", Map.of());
    }

    static Response toResponse(StrataException error) {
        Response.ResponseBuilder response = Response.status(error.status())
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(OpenAiErrors.body(error));
        error.headers().forEach(response::header);
        return response.build();
    }
}
