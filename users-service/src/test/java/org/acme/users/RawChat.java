package org.acme.users;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * A chat client over a plain socket: sends one text message cut into fragments at any byte, mid-character included,
 * and can misbehave in ways the JDK client will not (never answering the server's Close).
 */
final class RawChat {

    private RawChat() {
    }

    static void send(int port, String room, String user, byte[] message, int fragmentBytes) throws IOException {
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            handshake(out, in, port, room, user);
            readFrame(in); // the hello: the socket is open, frames from now on are checked
            sendText(out, message, fragmentBytes);
            Thread.sleep(500); // let the instance store it before the socket goes
            frame(out, 0x8, true, new byte[] {0x03, (byte) 0xE8});
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Opens a socket, sends MESSAGE in fragments of FRAGMENT_BYTES and then only reads, never answering a Close: the
     * server's close code (-1 if none came) and how long the server kept the connection after its Close frame.
     */
    static CloseSeen sendAndNeverAnswerTheClose(int port, String room, String user, byte[] message, int fragmentBytes)
            throws IOException {
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            handshake(out, in, port, room, user);
            readFrame(in); // the hello: the socket is open, frames from now on are checked
            sendText(out, message, fragmentBytes);
            int code = -1;
            long closeFrameAt = 0;
            for (byte[] frame = readFrame(in); frame != null; frame = readFrame(in)) {
                if ((frame[0] & 0x0f) == 0x8) {
                    code = frame.length >= 3 ? ((frame[1] & 0xff) << 8) | (frame[2] & 0xff) : 1005;
                    closeFrameAt = System.nanoTime();
                }
            }
            return new CloseSeen(code, closeFrameAt == 0 ? -1 : (System.nanoTime() - closeFrameAt) / 1_000_000);
        }
    }

    /**
     * Joins ROOM with a receive buffer of a few KiB and stops reading after the hello: a client on a slow link, or one
     * that stalls on purpose. Read it later with {@link Stalled#readToEnd(int)}.
     */
    static Stalled joinAndStopReading(int port, String room, String user) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096); // before connecting: the window it offers stays small
        socket.connect(new java.net.InetSocketAddress("localhost", port), 5_000);
        socket.setSoTimeout(15_000);
        handshake(socket.getOutputStream(), socket.getInputStream(), port, room, user);
        readFrame(socket.getInputStream()); // the hello
        return new Stalled(socket);
    }

    /** A client that stopped reading. */
    static final class Stalled implements AutoCloseable {
        private final Socket socket;

        private Stalled(Socket socket) {
            this.socket = socket;
        }

        /**
         * Reads what the server sent, up to its Close frame or the end of the connection (at most SECONDS, pings keep
         * coming): the message frames and the close code (-1: none came).
         */
        Received readToEnd(int seconds) throws IOException {
            int messages = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            InputStream in = socket.getInputStream();
            for (byte[] frame = readFrame(in); frame != null && System.nanoTime() < deadline; frame = readFrame(in)) {
                if ((frame[0] & 0x0f) == 0x8) {
                    return new Received(messages, frame.length >= 3 ? ((frame[1] & 0xff) << 8) | (frame[2] & 0xff) : 1005);
                } else if (new String(frame, 1, frame.length - 1, StandardCharsets.UTF_8).contains("\"type\":\"message\"")) {
                    messages++;
                }
            }
            return new Received(messages, -1);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** What a stalled client got once it read again: its message frames, and the server's close code. */
    record Received(int messages, int closeCode) {
    }

    /** The next frame from the server (unmasked, under 64 KiB): its first byte, then its payload; null at the end. */
    private static byte[] readFrame(InputStream in) throws IOException {
        int first = in.read();
        if (first < 0) {
            return null;
        }
        int length = in.read() & 0x7f;
        if (length == 126) {
            length = (in.read() << 8) | in.read();
        }
        byte[] frame = new byte[1 + length];
        frame[0] = (byte) first;
        System.arraycopy(in.readNBytes(length), 0, frame, 1, length);
        return frame;
    }

    /** What a client saw of the server's close: its code, and the milliseconds from the Close frame to the end. */
    record CloseSeen(int code, long connectionKeptMillis) {
    }

    private static void handshake(OutputStream out, InputStream in, int port, String room, String user) throws IOException {
        out.write(("GET /chat/" + room + "?user=" + user + " HTTP/1.1\r\nHost: localhost:" + port
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            head.write(in.read());
        }
        if (!head.toString(StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 101")) {
            throw new IOException("no WebSocket: " + head);
        }
    }

    /** MESSAGE as one text message in fragments of FRAGMENT_BYTES (cut anywhere, mid-character too). */
    private static void sendText(OutputStream out, byte[] message, int fragmentBytes) throws IOException {
        for (int from = 0; from < message.length; from += fragmentBytes) {
            int to = Math.min(message.length, from + fragmentBytes);
            frame(out, from == 0 ? 0x1 : 0x0, to == message.length, Arrays.copyOfRange(message, from, to));
        }
    }

    private static void frame(OutputStream out, int opcode, boolean fin, byte[] payload) throws IOException {
        byte[] mask = {1, 2, 3, 4};
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write((fin ? 0x80 : 0) | opcode);
        if (payload.length < 126) {
            frame.write(0x80 | payload.length);
        } else { // up to 64 KiB here
            frame.write(0x80 | 126);
            frame.write(payload.length >> 8);
            frame.write(payload.length & 0xff);
        }
        frame.write(mask, 0, 4);
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ mask[i % 4]);
        }
        out.write(frame.toByteArray());
        out.flush();
    }
}
