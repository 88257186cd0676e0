package io.strata.history;

import java.nio.ByteBuffer;

/**
 * The bodies of a record as stored (each JSON bytes or null), and their sealed form: a format
 * byte then each part length-prefixed. Content sealed before this format is a JSON object, told
 * apart by its first byte.
 */
record RecordBodies(byte[] request, byte[] parameters, byte[] sentMessages, byte[] response) {

    private static final byte FORMAT = 1;

    boolean isEmpty() {
        return request == null && parameters == null && sentMessages == null && response == null;
    }

    byte[] pack() {
        int size = 1 + 4 * Integer.BYTES + length(request) + length(parameters) + length(sentMessages) + length(response);
        ByteBuffer out = ByteBuffer.allocate(size).put(FORMAT);
        for (byte[] part : new byte[][]{request, parameters, sentMessages, response}) {
            if (part == null) {
                out.putInt(-1);
            } else {
                out.putInt(part.length).put(part);
            }
        }
        return out.array();
    }

    /** The parts of packed content, or null for content in the older JSON form. */
    static RecordBodies unpack(byte[] packed) {
        if (packed.length == 0 || packed[0] != FORMAT) {
            return null;
        }
        ByteBuffer in = ByteBuffer.wrap(packed, 1, packed.length - 1);
        byte[][] parts = new byte[4][];
        for (int i = 0; i < parts.length; i++) {
            int length = in.getInt();
            if (length >= 0) {
                parts[i] = new byte[length];
                in.get(parts[i]);
            }
        }
        return new RecordBodies(parts[0], parts[1], parts[2], parts[3]);
    }

    private static int length(byte[] part) {
        return part == null ? 0 : part.length;
    }
}
