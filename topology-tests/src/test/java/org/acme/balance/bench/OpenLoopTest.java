package org.acme.balance.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The open-loop generator's reading of an answer: when it is whole, its status, whether it ends the connection. */
class OpenLoopTest {

    private static ByteBuffer received(String text) {
        ByteBuffer in = ByteBuffer.allocate(1024);
        in.put(text.getBytes(StandardCharsets.US_ASCII));
        return in;
    }

    @Test
    void anAnswerWithContentLengthIsWholeOnlyWithItsWholeBody() {
        String head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n";
        assertEquals(0, OpenLoop.complete(received("HTTP/1.1 200 OK\r\nContent-Len")));
        assertEquals(0, OpenLoop.complete(received(head + "{\"id\":")));
        assertEquals(200, OpenLoop.complete(received(head + "{\"id\":1234}")));
        assertEquals(404, OpenLoop.complete(received("HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n{}")));
    }

    @Test
    void aChunkedAnswerIsWholeAtItsLastChunk() {
        String head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        assertEquals(0, OpenLoop.complete(received(head + "b\r\n{\"id\":1234}\r\n")));
        assertEquals(200, OpenLoop.complete(received(head + "b\r\n{\"id\":1234}\r\n0\r\n\r\n")));
    }

    @Test
    void anAnswerWithoutABodyIsWholeAtItsHeaders() {
        assertEquals(204, OpenLoop.complete(received("HTTP/1.1 204 No Content\r\nServer: nginx\r\n\r\n")));
    }

    @Test
    void connectionCloseEndsTheConnection() {
        assertTrue(OpenLoop.closes(received("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")));
        assertFalse(OpenLoop.closes(received("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")));
    }
}
