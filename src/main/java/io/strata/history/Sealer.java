package io.strata.history;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import io.strata.config.HistoryConfig;

/**
 * AES-GCM sealing of history content under named keys. New content is sealed with the active key
 * and carries its id; content sealed under any configured key can be opened, so keys rotate by
 * adding a new one and making it active. A missing or malformed key is a start-up error.
 */
public final class Sealer {

    static final String CANARY = "strata-history-key-check";
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final Map<String, SecretKey> keys = new HashMap<>();
    private final String activeKeyId;
    private final SecureRandom random = new SecureRandom();

    Sealer(HistoryConfig.Encryption config) {
        config.keys().forEach((id, encoded) -> keys.put(id, key(id, encoded)));
        this.activeKeyId = config.activeKey().orElseThrow(() -> new IllegalStateException(
                "strata.history.encryption.enabled=true needs strata.history.encryption.active-key"));
        if (!keys.containsKey(activeKeyId)) {
            throw new IllegalStateException("strata.history.encryption.active-key=" + activeKeyId
                    + " names no key in strata.history.encryption.keys");
        }
    }

    private static SecretKey key(String id, String encoded) {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(encoded.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("History encryption key '" + id + "' is not base64");
        }
        if (bytes.length != 16 && bytes.length != 24 && bytes.length != 32) {
            throw new IllegalStateException("History encryption key '" + id + "' must be 16, 24 or 32 bytes, not " + bytes.length);
        }
        return new SecretKeySpec(bytes, "AES");
    }

    public String activeKeyId() {
        return activeKeyId;
    }

    Set<String> keyIds() {
        return keys.keySet();
    }

    /** IV then ciphertext and tag, under the active key; the key id is the associated data. */
    public byte[] seal(byte[] plaintext) {
        return seal(activeKeyId, plaintext);
    }

    byte[] seal(String keyId, byte[] plaintext) {
        try {
            byte[] iv = new byte[IV_BYTES];
            random.nextBytes(iv);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, keys.get(keyId), new GCMParameterSpec(TAG_BITS, iv));
            cipher.updateAAD(keyId.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = cipher.doFinal(plaintext);
            return ByteBuffer.allocate(IV_BYTES + sealed.length).put(iv).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Cannot seal history content", e);
        }
    }

    /** @throws IllegalStateException when the key id is not configured or the content does not open under it */
    public byte[] open(String keyId, byte[] sealed) {
        SecretKey key = keys.get(keyId);
        if (key == null) {
            throw new IllegalStateException("History content sealed under key '" + keyId + "', which is not configured");
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 0, IV_BYTES));
            cipher.updateAAD(keyId.getBytes(StandardCharsets.UTF_8));
            return cipher.doFinal(sealed, IV_BYTES, sealed.length - IV_BYTES);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("History content does not open under key '" + keyId + "': wrong key?", e);
        }
    }
}
