package org.acme.balance;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A chat client as a real one behaves: connects to /chat/{room} at a base URL (nginx or one instance), keeps
 * the messages it received, and reconnects with after=<the last id it has> to catch up.
 */
final class ChatClient implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final String room;
    final String user;
    /** Every message frame received, over all connections, in arrival order. */
    final List<JsonNode> messages = new ArrayList<>();
    /** The instance that served the current connection (its hello frame). */
    String instance;

    private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    private CompletableFuture<Integer> closed;
    private WebSocket socket;

    ChatClient(String room, String user) {
        this.room = room;
        this.user = user;
    }

    /** Connects through BASE (http://host:port); after the first connection, from the last message it has. */
    ChatClient connect(URI base) throws Exception {
        String after = messages.isEmpty() ? "" : "&after=" + lastId();
        URI uri = URI.create(base.toString().replaceFirst("^http", "ws") + "/chat/" + room + "?user=" + user + after);
        CompletableFuture<Integer> closedNow = new CompletableFuture<>();
        closed = closedNow;
        socket = HTTP.newWebSocketBuilder().buildAsync(uri, new Listener(closedNow)).get(10, TimeUnit.SECONDS);
        instance = next("hello", 10).get("instance").asText();
        return this;
    }

    long lastId() {
        return messages.isEmpty() ? 0 : messages.get(messages.size() - 1).get("id").asLong();
    }

    void say(String text, String key) {
        socket.sendText(JSON.createObjectNode().put("type", "message").put("text", text).put("key", key).toString(), true)
                .join();
    }

    /** Waits until COUNT messages have arrived in all, at most SECONDS; returns how many did. */
    int awaitMessages(int count, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (messages.size() < count) {
            long left = deadline - System.nanoTime();
            JsonNode frame = frames.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
            if (frame == null) {
                break;
            }
            take(frame);
        }
        return messages.size();
    }

    /** Waits for the socket to be closed (its instance died, say), at most SECONDS; the close code, -1 for none. */
    int awaitClosed(int seconds) throws Exception {
        try {
            return closed.get(seconds, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            return -1;
        }
    }

    /** Collects what arrives during MILLIS (nothing more should, once all was received). */
    void settle(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        JsonNode frame;
        while ((frame = frames.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) != null) {
            take(frame);
        }
    }

    List<Long> ids() {
        return messages.stream().map(m -> m.get("id").asLong()).toList();
    }

    private JsonNode next(String type, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            JsonNode frame = frames.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            assertNotNull(frame, user + ": no " + type + " frame within " + seconds + " s");
            if (type.equals(frame.get("type").asText())) {
                return frame;
            }
            take(frame);
        }
    }

    private void take(JsonNode frame) {
        if ("message".equals(frame.get("type").asText())) {
            messages.add(frame);
        }
    }

    @Override
    public void close() {
        if (socket != null && !closed.isDone()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
    }

    /** One per connection, so a late frame of a dead connection cannot be mistaken for the new one's close. */
    private final class Listener implements WebSocket.Listener {
        private final CompletableFuture<Integer> closedHere;
        private final StringBuilder partial = new StringBuilder();

        Listener(CompletableFuture<Integer> closedHere) {
            this.closedHere = closedHere;
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
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closedHere.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closedHere.complete(-1); // the connection broke without a close frame (its instance was killed)
        }
    }
}
