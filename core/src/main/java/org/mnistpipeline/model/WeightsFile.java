package org.mnistpipeline.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mnistpipeline.MnistException;
import org.mnistpipeline.io.AtomicFiles;
import org.mnistpipeline.io.Json;

/**
 * Model weights in the safetensors layout (an 8-byte little-endian header length, a JSON header
 * naming each tensor's dtype, shape and byte range, then raw little-endian float32 data). An
 * engine-neutral format: DJL writes it after training, and the ONNX exporter and other tools
 * read it without DJL. Tensor names follow the spec: {@code layer<i>.<weight|bias|gamma|beta|
 * running_mean|running_var>}.
 */
public final class WeightsFile {
    private static final long MAX_HEADER = 1 << 20;

    private WeightsFile() {}

    /** One named float32 tensor. */
    public record Tensor(String name, long[] shape, float[] data) {
        public Tensor {
            long expected = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            if (expected != data.length) {
                throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " needs " + expected
                        + " values, got " + data.length);
            }
        }
    }

    public static void write(Path file, List<Tensor> tensors) {
        ObjectNode header = Json.mapper().createObjectNode();
        long offset = 0;
        for (Tensor t : tensors) {
            ObjectNode entry = header.putObject(t.name());
            entry.put("dtype", "F32");
            var shape = entry.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            entry.putArray("data_offsets").add(offset).add(offset + 4L * t.data().length);
            offset += 4L * t.data().length;
        }
        byte[] headerBytes = Json.compact(header).getBytes(StandardCharsets.UTF_8);
        // The format pads the header with spaces to an 8-byte boundary.
        int padded = (headerBytes.length + 7) / 8 * 8;
        byte[] headerPadded = Arrays.copyOf(headerBytes, padded);
        Arrays.fill(headerPadded, headerBytes.length, padded, (byte) ' ');
        long dataBytes = offset;
        AtomicFiles.write(file, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(headerPadded);
            ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (Tensor t : tensors) {
                for (float v : t.data()) {
                    if (buffer.remaining() < 4) {
                        out.write(buffer.array(), 0, buffer.position());
                        buffer.clear();
                    }
                    buffer.putFloat(v);
                }
            }
            out.write(buffer.array(), 0, buffer.position());
            if (dataBytes < 0) {
                throw new IOException("negative size");
            }
        });
    }

    /** The tensors keyed by name, in order: the form the exporter and the network builder take. */
    public static Map<String, Tensor> byName(List<Tensor> tensors) {
        Map<String, Tensor> map = new LinkedHashMap<>();
        tensors.forEach(t -> map.put(t.name(), t));
        return map;
    }

    /** Reads every tensor, in file order; rejects malformed files with a message naming the problem. */
    public static Map<String, Tensor> read(Path file) {
        try (InputStream raw = Files.newInputStream(file)) {
            return read(raw, file.toString());
        } catch (IOException e) {
            throw new MnistException("cannot read weights " + file + ": " + e.getMessage(), e);
        }
    }

    public static Map<String, Tensor> read(InputStream raw, String name) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(raw, 1 << 16));
        byte[] lenBytes = in.readNBytes(8);
        if (lenBytes.length < 8) {
            throw new MnistException(name + ": not a weights file (shorter than 8 bytes)");
        }
        long headerLength = ByteBuffer.wrap(lenBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLength <= 0 || headerLength > MAX_HEADER) {
            throw new MnistException(name + ": not a weights file (header length " + headerLength + ")");
        }
        byte[] headerBytes = in.readNBytes((int) headerLength);
        if (headerBytes.length < headerLength) {
            throw new MnistException(name + ": truncated weights header");
        }
        JsonNode header = Json.mapper().readTree(headerBytes);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        long position = 0;
        // Entries are read in offset order, which is the order they were written.
        List<Map.Entry<String, JsonNode>> entries = new java.util.ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getKey().equals("__metadata__")) {
                entries.add(e);
            }
        }
        entries.sort((a, b) -> Long.compare(a.getValue().get("data_offsets").get(0).asLong(),
                b.getValue().get("data_offsets").get(0).asLong()));
        for (var e : entries) {
            JsonNode node = e.getValue();
            if (!"F32".equals(node.path("dtype").asText())) {
                throw new MnistException(name + ": tensor " + e.getKey() + " has dtype " + node.path("dtype").asText()
                        + "; only F32 is supported");
            }
            long[] shape = new long[node.get("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = node.get("shape").get(i).asLong();
            }
            long start = node.get("data_offsets").get(0).asLong();
            long end = node.get("data_offsets").get(1).asLong();
            if (start != position || end < start || (end - start) % 4 != 0) {
                throw new MnistException(name + ": tensor " + e.getKey() + " has bad data offsets");
            }
            byte[] bytes = in.readNBytes((int) (end - start));
            if (bytes.length < end - start) {
                throw new MnistException(name + ": truncated weights data in tensor " + e.getKey());
            }
            float[] data = new float[bytes.length / 4];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
            tensors.put(e.getKey(), new Tensor(e.getKey(), shape, data));
            position = end;
        }
        return tensors;
    }
}
