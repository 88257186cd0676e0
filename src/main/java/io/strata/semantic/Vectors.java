package io.strata.semantic;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Embedding vectors: unit length once made, so the cosine of two is their dot product; stored as float32 little endian. */
public final class Vectors {

    private Vectors() {
    }

    /** The vector scaled to length 1 (a copy); null for a zero or malformed vector. */
    public static float[] unit(float[] vector) {
        double sum = 0;
        for (float v : vector) {
            if (!Float.isFinite(v)) {
                return null;
            }
            sum += (double) v * v;
        }
        if (sum == 0) {
            return null;
        }
        float norm = (float) Math.sqrt(sum);
        float[] unit = new float[vector.length];
        for (int i = 0; i < vector.length; i++) {
            unit[i] = vector[i] / norm;
        }
        return unit;
    }

    /** Cosine of two unit vectors; -1 when their dimensions differ (never a match). */
    public static double cosine(float[] a, float[] b) {
        if (a.length != b.length) {
            return -1;
        }
        double dot = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
        }
        return Math.max(-1, Math.min(1, dot));
    }

    public static byte[] encode(float[] vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(vector);
        return bytes.array();
    }

    public static float[] decode(byte[] bytes) {
        float[] vector = new float[bytes.length / Float.BYTES];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(vector);
        return vector;
    }
}
