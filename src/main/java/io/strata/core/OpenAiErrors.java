package io.strata.core;

import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.core.io.JsonStringEncoder;

/** Renders the OpenAI error body without reflection. */
public final class OpenAiErrors {

    private OpenAiErrors() {
    }

    public static byte[] body(StrataException error) {
        return body(error.getMessage(), error.type(), error.param(), error.code());
    }

    public static byte[] body(String message, String type, String param, String code) {
        StringBuilder json = new StringBuilder(128).append("{\"error\":{\"message\":");
        string(json, message);
        json.append(",\"type\":");
        string(json, type);
        json.append(",\"param\":");
        string(json, param);
        json.append(",\"code\":");
        string(json, code);
        return json.append("}}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void string(StringBuilder json, String value) {
        if (value == null) {
            json.append("null");
        } else {
            json.append('"').append(JsonStringEncoder.getInstance().quoteAsString(value)).append('"');
        }
    }
}
