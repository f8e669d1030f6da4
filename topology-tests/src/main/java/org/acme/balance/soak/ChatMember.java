package org.acme.balance.soak;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import org.acme.testing.ChatClient;

/**
 * One chat client of the soak, as the chat page behaves: it sends one message at a time with a key of its own, waits
 * for its acknowledgement (its own message coming back with the key), resends with the same key after a 503 error
 * frame or when no acknowledgement came within {@value #RESEND_AFTER_MS} ms, and reconnects with {@code after=} its
 * last id when its socket breaks (its instance killed), to the same address. Runs on one thread of its own: the
 * {@link ChatClient}'s received messages are only touched here.
 */
final class ChatMember implements Runnable {

    static final long RESEND_AFTER_MS = 10_000;
    /** How long a broken socket is retried before the member gives up (an instance restarts in seconds). */
    static final long RECONNECT_FOR_MS = 120_000;

    /** An error frame, or a reconnect: when, and what. */
    record Event(double atMs, String what) {
    }

    final ChatClient client;
    final URI base;
    private final DoubleSupplier clock;
    private final long pauseMs;
    private volatile boolean sending = true;
    private volatile boolean running = true;

    /** key -> the id its acknowledgement carried. */
    final Map<String, Long> acknowledged = Collections.synchronizedMap(new LinkedHashMap<>());
    /** Keys sent and never acknowledged (the last one, when the run ended before its acknowledgement). */
    final List<String> unacknowledged = Collections.synchronizedList(new ArrayList<>());
    /** Error frames by status; 503 is the documented one (the primary could not store it: send it again). */
    final Map<Integer, Integer> errors = Collections.synchronizedMap(new TreeMap<>());
    final List<Event> events = Collections.synchronizedList(new ArrayList<>());
    /** Own messages that came back a second time with a key already acknowledged. */
    final List<String> acknowledgedTwice = Collections.synchronizedList(new ArrayList<>());
    volatile int sends;
    volatile int resends;
    volatile int reconnects;
    volatile String failure;

    private volatile String pending;
    private double pendingSentAt;
    private int counter;

    ChatMember(ChatClient client, URI base, DoubleSupplier clock, long pauseMs) {
        this.client = client;
        this.base = base;
        this.clock = clock;
        this.pauseMs = pauseMs;
    }

    /** No new message from now on; the one in flight is still resent until acknowledged or {@link #stop()}. */
    void stopSending() {
        sending = false;
    }

    void stop() {
        running = false;
    }

    boolean idle() {
        return pending == null;
    }

    @Override
    public void run() {
        try {
            while (running) {
                if (pending == null) {
                    if (!sending) {
                        break;
                    }
                    pending = client.user + "-" + (++counter);
                    send(false);
                }
                JsonNode frame = client.frames.poll(200, TimeUnit.MILLISECONDS);
                if (frame != null) {
                    handle(frame);
                } else if (closeCode(0) != Integer.MIN_VALUE) {
                    reconnect("socket closed (" + closeCode(0) + ")");
                } else if (pending != null && clock.getAsDouble() - pendingSentAt > RESEND_AFTER_MS) {
                    send(true);
                }
                if (pending == null && sending) {
                    pauseReading(pauseMs);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            failure = e.toString();
        } finally {
            if (pending != null) {
                unacknowledged.add(pending);
            }
        }
    }

    private void handle(JsonNode frame) throws InterruptedException {
        String type = frame.path("type").asText();
        if ("message".equals(type)) {
            client.messages.add(frame);
            String key = frame.path("key").asText(null);
            if (client.user.equals(frame.path("user").asText()) && key != null) {
                if (key.equals(pending)) {
                    acknowledged.put(key, frame.get("id").asLong());
                    pending = null;
                } else if (acknowledged.containsKey(key)) {
                    acknowledgedTwice.add(key + " (id " + frame.get("id").asLong() + ")");
                }
            }
        } else if ("error".equals(type)) {
            int status = frame.path("status").asInt();
            errors.merge(status, 1, Integer::sum);
            events.add(new Event(clock.getAsDouble(), "error " + status + ": " + frame.path("detail").asText()));
            if (status == 503 && pending != null) {
                pauseReading(500);
                if (pending != null) {
                    send(true);
                }
            } else if (pending != null) {
                unacknowledged.add(pending); // refused for good: a bad frame; never sent again
                pending = null;
            }
        } else if ("not-json".equals(type)) {
            errors.merge(-1, 1, Integer::sum);
            events.add(new Event(clock.getAsDouble(), "a frame that is not JSON: " + frame.path("text").asText()));
        }
    }

    /** Reads frames for MILLIS (a pause that still takes acknowledgements and errors). */
    private void pauseReading(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        long left;
        while (running && (left = deadline - System.nanoTime()) > 0) {
            JsonNode frame = client.frames.poll(left, TimeUnit.NANOSECONDS);
            if (frame != null) {
                handle(frame);
            }
        }
    }

    private void send(boolean again) throws InterruptedException {
        if (again) {
            resends++;
        } else {
            sends++;
        }
        pendingSentAt = clock.getAsDouble();
        try {
            client.say("soak message " + pending, pending);
        } catch (RuntimeException broken) {
            // the socket is gone (its instance killed): reconnect, then the pending message goes again
            closeCode(5);
            reconnect("send failed: " + broken.getClass().getSimpleName());
        }
    }

    /** The socket's close code within SECONDS: -1 broken, MIN_VALUE still open. */
    private int closeCode(int seconds) throws InterruptedException {
        try {
            return client.awaitClosed(seconds);
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            return -1;
        }
    }

    /**
     * Reconnects to the same address with after= the last id received, after taking every frame the old socket had
     * delivered (so that after= counts them), then sends the pending message again with its key.
     */
    private void reconnect(String why) throws InterruptedException {
        JsonNode left;
        while ((left = client.frames.poll()) != null) {
            handle(left);
        }
        double started = clock.getAsDouble();
        int attempts = 0;
        while (running) {
            attempts++;
            try {
                client.connect(base);
                reconnects++;
                events.add(new Event(started, String.format(java.util.Locale.ROOT,
                        "reconnected to %s after %s (%d attempt(s), %.1f s)", client.instance, why, attempts,
                        (clock.getAsDouble() - started) / 1000)));
                if (pending != null) {
                    send(true);
                }
                return;
            } catch (Exception | AssertionError notYet) {
                if (clock.getAsDouble() - started > RECONNECT_FOR_MS) {
                    throw new IllegalStateException(client.user + " could not reconnect to " + base + " within "
                            + RECONNECT_FOR_MS / 1000 + " s: " + notYet);
                }
                Thread.sleep(1000);
            }
        }
    }
}
