package io.strata.core;

import java.util.Map;

/**
 * An error Strata itself answers, always in OpenAI's shape:
 * {@code {"error":{"message","type","param","code"}}}. No stack trace: these are expected outcomes.
 */
public final class StrataException extends RuntimeException {

    private final int status;
    private final String type;
    private final String code;
    private final String param;
    private final Map<String, String> headers;

    public StrataException(int status, String type, String code, String param, String message, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
        this.headers = headers;
    }

    public static StrataException invalidRequest(String code, String param, String message) {
        return new StrataException(400, "invalid_request_error", code, param, message, Map.of());
    }

    public static StrataException invalidApiKey() {
        return new StrataException(401, "invalid_request_error", "invalid_api_key", null,
                "Incorrect API key provided. Strata accepts only its configured client keys.", Map.of());
    }

    public static StrataException notFound(String message) {
        return new StrataException(404, "invalid_request_error", "not_found", null, message, Map.of());
    }

    public static StrataException bodyTooLarge(long limit) {
        return new StrataException(413, "invalid_request_error", "body_too_large", null,
                "Request body exceeds the limit of " + limit + " bytes.", Map.of());
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String code() {
        return code;
    }

    public String param() {
        return param;
    }

    /** Extra response headers, e.g. Retry-After or X-Cache-Status. */
    public Map<String, String> headers() {
        return headers;
    }
}
