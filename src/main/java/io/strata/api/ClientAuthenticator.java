package io.strata.api;

import java.util.List;

import jakarta.inject.Singleton;

import io.strata.cache.CacheKeyFactory;
import io.strata.config.ApiConfig;
import io.strata.config.CacheConfig;
import io.strata.core.ClientIdentity;
import io.strata.core.StrataException;

/**
 * Checks the client key when keys are configured, and derives the caller's cache scope: a hash of
 * its key, so entries of different keys never mix (unless the cache scope is {@code shared}).
 */
@Singleton
public class ClientAuthenticator {

    static final String SHARED_SCOPE = "shared";
    static final String ANONYMOUS_SCOPE = "anonymous";

    private final List<String> acceptedKeys;
    private final boolean sharedScope;

    public ClientAuthenticator(ApiConfig api, CacheConfig cache) {
        this.acceptedKeys = api.clientKeys().orElse(List.of()).stream()
                .filter(key -> !key.isBlank())
                .map(String::strip)
                .toList();
        this.sharedScope = cache.scope() == CacheConfig.Scope.SHARED;
    }

    /** @throws StrataException 401 when client keys are configured and the request's is not one of them */
    public ClientIdentity authenticate(String authorization) {
        String token = bearer(authorization);
        if (!acceptedKeys.isEmpty() && (token == null || !accepted(token))) {
            throw StrataException.invalidApiKey();
        }
        String scope = sharedScope ? SHARED_SCOPE : token == null ? ANONYMOUS_SCOPE : CacheKeyFactory.scopeOf(token);
        return new ClientIdentity(token, scope);
    }

    /** Constant-time against every configured key, so timing does not reveal a key's prefix. */
    private boolean accepted(String token) {
        boolean match = false;
        for (String key : acceptedKeys) {
            match |= BearerTokens.matches(token, key); // no early exit: every key is compared
        }
        return match;
    }

    static String bearer(String authorization) {
        if (authorization == null) {
            return null;
        }
        String value = authorization.strip();
        if (value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String token = value.substring(7).strip();
            return token.isEmpty() ? null : token;
        }
        return null;
    }
}
