package io.strata.core;

/**
 * Who is calling: the bearer token it sent (forwarded upstream in {@code forward} mode) and the
 * cache scope it reads and writes.
 */
public record ClientIdentity(String bearerToken, String scope) {
}
