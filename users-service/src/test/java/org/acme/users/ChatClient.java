package org.acme.users;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.restassured.RestAssured;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A chat client for the tests (the JDK's WebSocket): every frame it receives, in order, and how it was closed. */
final class ChatClient implements WebSocket.Listener, AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    static final long WAIT_SECONDS = 10;

    final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    final java.util.concurrent.atomic.AtomicInteger pings = new java.util.concurrent.atomic.AtomicInteger();
    private final StringBuilder partial = new StringBuilder();
    private WebSocket socket;

    /** Connects to /chat/ROOM?user=USER plus QUERY (e.g. "&after=3") on the instance under test. */
    static ChatClient connect(String room, String user, String query) throws Exception {
        ChatClient client = new ChatClient();
        String userParam = user == null ? "" : "user=" + URLEncoder.encode(user, StandardCharsets.UTF_8);
        URI uri = URI.create("ws://localhost:" + RestAssured.port + "/chat/" + room + "?" + userParam + query);
        client.socket = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(uri, client)
                .get(WAIT_SECONDS, TimeUnit.SECONDS);
        return client;
    }

    static ChatClient join(String room, String user) throws Exception {
        ChatClient client = connect(room, user, "");
        assertEquals("test-instance", client.next("hello").get("instance").asText());
        return client;
    }

    void sendRaw(String frame) {
        socket.sendText(frame, true).join();
    }

    /** One text message sent as continuation frames of SIZE characters, until the server closes the socket. */
    void sendFragments(String message, int size) {
        try {
            for (int from = 0; from < message.length(); from += size) {
                int to = Math.min(message.length(), from + size);
                socket.sendText(message.substring(from, to), to == message.length()).join();
            }
        } catch (java.util.concurrent.CompletionException closedMidway) {
            // the server stopped the message part-way: closeCode() says how
        }
    }

    void say(String text, String key) {
        ObjectNode frame = JSON.createObjectNode().put("type", "message").put("text", text);
        if (key != null) {
            frame.put("key", key);
        }
        sendRaw(frame.toString());
    }

    /** The next frame of TYPE, skipping others (join/leave notices, say); fails after WAIT_SECONDS. */
    JsonNode next(String type) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (true) {
            JsonNode frame = frames.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            assertNotNull(frame, "no " + type + " frame within " + WAIT_SECONDS + " s");
            if (type.equals(frame.get("type").asText())) {
                return frame;
            }
        }
    }

    /** The next COUNT message frames. */
    List<JsonNode> messages(int count) throws InterruptedException {
        List<JsonNode> messages = new ArrayList<>();
        while (messages.size() < count) {
            messages.add(next("message"));
        }
        return messages;
    }

    /** Frames of TYPE that arrive within MILLIS: proves that nothing more came. */
    List<JsonNode> drain(String type, long millis) throws InterruptedException {
        Thread.sleep(millis);
        List<JsonNode> rest = new ArrayList<>();
        frames.drainTo(rest);
        return rest.stream().filter(f -> type.equals(f.get("type").asText())).toList();
    }

    int closeCode() throws Exception {
        try {
            return closed.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("not closed within " + WAIT_SECONDS + " s; frames received: " + frames);
        }
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            try {
                frames.add(JSON.readTree(partial.toString()));
            } catch (Exception e) {
                frames.add(JSON.createObjectNode().put("type", "not-json").put("text", partial.toString()));
            }
            partial.setLength(0);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket webSocket, java.nio.ByteBuffer message) {
        pings.incrementAndGet(); // the JDK answers with a pong by itself
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete(statusCode);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.complete(-1);
    }

    @Override
    public void close() {
        if (!closed.isDone()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(WAIT_SECONDS, TimeUnit.SECONDS)
                    .exceptionally(e -> null).join();
        }
    }
}
