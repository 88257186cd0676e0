package io.strata.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** Bearer-token helpers shared by the admin and history APIs. */
final class BearerTokens {

    private BearerTokens() {
    }

    /** Compares in constant time, so the time taken does not reveal how much of a token matched. */
    static boolean matches(String presented, String expected) {
        if (presented == null || expected == null) {
            return false;
        }
        return MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8));
    }
}
