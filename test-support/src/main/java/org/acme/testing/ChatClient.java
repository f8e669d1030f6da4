package org.acme.testing;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A chat client of the tests, as a real one behaves (the JDK's WebSocket): connects to {@code /chat/{room}} at a base
 * URL (one instance, or nginx), sees every frame in order, keeps the messages it was given, and reconnects with
 * {@code after=<the last id it has>} to catch up. Used by the service's own tests and by the topology tests.
 */
public final class ChatClient implements AutoCloseable {

    public static final ObjectMapper JSON = new ObjectMapper();
    /** How long a wait for a frame or a close lasts unless said otherwise. */
    public static final int WAIT_SECONDS = 10;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public final String room;
    public final String user;
    /** Every message frame received, over all connections, in arrival order (as the waits below took them). */
    public final List<JsonNode> messages = new ArrayList<>();
    /** Pings the server sent (the JDK answers each with a pong by itself). */
    public final AtomicInteger pings = new AtomicInteger();
    /** The instance that served the current connection (its hello frame). */
    public String instance;

    /** Frames received and not taken yet (a reconnect keeps those of the connection before). */
    public final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    private CompletableFuture<Integer> closed = new CompletableFuture<>();
    /** Why the connection broke without a close frame, when it did (for the failure messages). */
    public volatile Throwable brokenBy;
    private WebSocket socket;

    public ChatClient(String room, String user) {
        this.room = room;
        this.user = user;
    }

    /**
     * Connects through BASE (http://host:port) and waits for the hello frame; after the first connection, from the
     * last message it has ({@code after=}).
     */
    public ChatClient connect(URI base) throws Exception {
        String after = messages.isEmpty() ? "" : "&after=" + lastId();
        open(base, "user=" + URLEncoder.encode(user, StandardCharsets.UTF_8) + after);
        instance = next("hello").get("instance").asText();
        return this;
    }

    /** Opens /chat/ROOM?QUERY as it is (a refused handshake, a bad parameter) without waiting for any frame. */
    public ChatClient open(URI base, String query) throws Exception {
        URI uri = URI.create(base.toString().replaceFirst("^http", "ws") + "/chat/" + room + "?" + query);
        CompletableFuture<Integer> closedNow = new CompletableFuture<>();
        closed = closedNow;
        socket = HTTP.newWebSocketBuilder().buildAsync(uri, new Listener(closedNow)).get(WAIT_SECONDS, TimeUnit.SECONDS);
        return this;
    }

    public void sendRaw(String frame) {
        socket.sendText(frame, true).join();
    }

    /** One text message sent as continuation frames of SIZE characters, until the server closes the socket. */
    public void sendFragments(String message, int size) {
        try {
            for (int from = 0; from < message.length(); from += size) {
                int to = Math.min(message.length(), from + size);
                socket.sendText(message.substring(from, to), to == message.length()).join();
            }
        } catch (CompletionException closedMidway) {
            // the server stopped the message part-way: closeCode() says how
        }
    }

    /** A message frame; KEY (the client's own id for it) may be null. */
    public void say(String text, String key) {
        ObjectNode frame = JSON.createObjectNode().put("type", "message").put("text", text);
        if (key != null) {
            frame.put("key", key);
        }
        sendRaw(frame.toString());
    }

    /** The next frame of TYPE, skipping others (messages skipped are kept in {@link #messages}); fails after the wait. */
    public JsonNode next(String type) throws InterruptedException {
        return next(type, WAIT_SECONDS);
    }

    public JsonNode next(String type, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            JsonNode frame = frames.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            assertNotNull(frame, user + ": no " + type + " frame within " + seconds + " s");
            boolean wanted = type.equals(frame.get("type").asText());
            if (isMessage(frame)) {
                messages.add(frame);
            }
            if (wanted) {
                return frame;
            }
        }
    }

    /** The next COUNT message frames. */
    public List<JsonNode> messages(int count) throws InterruptedException {
        List<JsonNode> taken = new ArrayList<>();
        while (taken.size() < count) {
            taken.add(next("message"));
        }
        return taken;
    }

    /** Frames of TYPE that arrive within MILLIS: proves that nothing more came. */
    public List<JsonNode> drain(String type, long millis) throws InterruptedException {
        Thread.sleep(millis);
        List<JsonNode> rest = new ArrayList<>();
        frames.drainTo(rest);
        rest.stream().filter(ChatClient::isMessage).forEach(messages::add);
        return rest.stream().filter(f -> type.equals(f.get("type").asText())).toList();
    }

    /** Waits until COUNT messages have arrived in all, at most SECONDS; returns how many did. */
    public int awaitMessages(int count, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (messages.size() < count) {
            JsonNode frame = frames.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (frame == null) {
                break;
            }
            if (isMessage(frame)) {
                messages.add(frame);
            }
        }
        return messages.size();
    }

    /** Collects what arrives during MILLIS (nothing more should, once all was received). */
    public void settle(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        JsonNode frame;
        while ((frame = frames.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) != null) {
            if (isMessage(frame)) {
                messages.add(frame);
            }
        }
    }

    /** The close code of the current connection; fails when it is not closed within the wait. */
    public int closeCode() throws Exception {
        int code = awaitClosed(WAIT_SECONDS);
        if (code == Integer.MIN_VALUE) {
            throw new AssertionError("not closed within " + WAIT_SECONDS + " s; frames received: " + frames);
        }
        return code;
    }

    /** Waits for the socket to be closed, at most SECONDS: the close code, -1 when it broke, MIN_VALUE if still open. */
    public int awaitClosed(int seconds) throws Exception {
        try {
            return closed.get(seconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            return Integer.MIN_VALUE;
        }
    }

    public long lastId() {
        return messages.isEmpty() ? 0 : messages.get(messages.size() - 1).get("id").asLong();
    }

    public List<Long> ids() {
        return messages.stream().map(m -> m.get("id").asLong()).toList();
    }

    /**
     * FRAMES without their consistency tokens: each delivery's token is its own (the position the relaying instance
     * read after the notification, or the catch-up's), so two members compare the messages, not the tokens.
     */
    public static List<JsonNode> withoutTokens(List<JsonNode> frames) {
        return frames.stream().map(f -> (JsonNode) ((ObjectNode) f.deepCopy()).without("token")).toList();
    }

    @Override
    public void close() {
        if (socket != null && !closed.isDone()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(WAIT_SECONDS, TimeUnit.SECONDS)
                    .exceptionally(e -> null).join();
        }
    }

    private static boolean isMessage(JsonNode frame) {
        return "message".equals(frame.path("type").asText());
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
        public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
            pings.incrementAndGet();
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
            brokenBy = error;
            closedHere.complete(-1); // the connection broke without a close frame (its instance was killed)
        }
    }
}
