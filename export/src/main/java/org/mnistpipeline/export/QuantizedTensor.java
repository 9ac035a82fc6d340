package org.mnistpipeline.export;

/**
 * Symmetric int8 quantization with one scale per output channel: {@code w ≈ q * scale}, {@code q} in
 * [-127, 127]. Per-channel scales matter because output channels of one layer differ in range by
 * orders of magnitude; one scale for the whole tensor would round the small channels to zero.
 * -128 is left unused so the range is symmetric and {@code -q} never overflows.
 *
 * @param values quantized values, same order as the float tensor (output channel first)
 * @param scales one positive scale per output channel
 */
record QuantizedTensor(byte[] values, float[] scales) {

    static QuantizedTensor perOutputChannel(float[] data, int channels) {
        if (channels <= 0 || data.length % channels != 0) {
            throw new IllegalArgumentException(data.length + " values do not split into " + channels + " channels");
        }
        int perChannel = data.length / channels;
        byte[] values = new byte[data.length];
        float[] scales = new float[channels];
        for (int c = 0; c < channels; c++) {
            int from = c * perChannel;
            float max = 0;
            for (int i = from; i < from + perChannel; i++) {
                max = Math.max(max, Math.abs(data[i]));
            }
            // An all-zero channel (e.g. a pruned filter) gets scale 1 and quantizes to zeros exactly.
            float scale = max > 0 ? max / 127f : 1f;
            scales[c] = scale;
            for (int i = from; i < from + perChannel; i++) {
                values[i] = (byte) Math.max(-127, Math.min(127, Math.round(data[i] / scale)));
            }
        }
        return new QuantizedTensor(values, scales);
    }
}
