package org.acme.users;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A chat client over a plain socket: sends one text message cut into fragments at any byte, mid-character included. */
final class RawChat {

    private RawChat() {
    }

    static void send(int port, String room, String user, byte[] message, int fragmentBytes) throws IOException {
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
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
            in.read(new byte[256]); // the hello frame (small): the socket is open, frames from now on are checked
            for (int from = 0; from < message.length; from += fragmentBytes) {
                int to = Math.min(message.length, from + fragmentBytes);
                frame(out, from == 0 ? 0x1 : 0x0, to == message.length, Arrays.copyOfRange(message, from, to));
            }
            Thread.sleep(500); // let the instance store it before the socket goes
            frame(out, 0x8, true, new byte[] {0x03, (byte) 0xE8});
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void frame(OutputStream out, int opcode, boolean fin, byte[] payload) throws IOException {
        byte[] mask = {1, 2, 3, 4};
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write((fin ? 0x80 : 0) | opcode);
        frame.write(0x80 | payload.length); // fragments here stay under 126 bytes
        frame.write(mask, 0, 4);
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ mask[i % 4]);
        }
        out.write(frame.toByteArray());
        out.flush();
    }
}
