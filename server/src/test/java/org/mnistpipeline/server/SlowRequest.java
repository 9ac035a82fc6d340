package org.mnistpipeline.server;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A POST /invocations whose body is sent in two halves on a raw socket: between them the request
 * is in flight on the server for as long as the test likes, without any hook in the server.
 */
final class SlowRequest implements AutoCloseable {
    private final Socket socket;
    private final byte[] body;

    SlowRequest(int port, String contentType, byte[] body) throws IOException {
        this.socket = new Socket("127.0.0.1", port);
        this.body = body;
        socket.setSoTimeout(60_000);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /invocations HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + contentType
                + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body, 0, body.length / 2);
        out.flush();
    }

    /** Sends the rest of the body and returns the whole response, status line first. */
    String finish() throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(body, body.length / 2, body.length - body.length / 2);
        out.flush();
        return ModelServerTest.readResponse(socket);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
