package org.acme.users.chat;

import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One client's socket. Frames leave through a bounded outbox, one frame in flight at a time (in order, and a slow
 * client must not hold up the relay: its frames wait in its outbox, and past the limit its socket is closed).
 * {@code lastId} is what the client has been given of its room; the relay guards it with this object's monitor.
 */
final class ChatSession {

    private static final Object PING = new Object();

    final Session socket;
    final String room;
    final String user;
    /** The id of the room's last message given to this client (-1: not started yet). Guarded by {@code this}. */
    long lastId = -1;

    private final Executor senders;
    private final int outboxLimit;
    private final ArrayDeque<Object> outbox = new ArrayDeque<>();
    private boolean draining; // guarded by outbox
    private volatile long lastSentNanos = System.nanoTime();
    private final StringBuilder partial = new StringBuilder(); // the container calls one part at a time

    ChatSession(Session socket, String room, String user, Executor senders, int outboxLimit) {
        this.socket = socket;
        this.room = room;
        this.user = user;
        this.senders = senders;
        this.outboxLimit = outboxLimit;
    }

    /** A received message over the limit: the socket is closed with 1009. */
    static final class TooBig extends Exception {
        TooBig() {
            super(null, null, false, false);
        }
    }

    /** Adds a received PART: the whole message once LAST, null while parts are still missing. */
    String inbound(String part, boolean last, int limit) throws TooBig {
        if (partial.length() + part.length() > limit) {
            partial.setLength(0);
            throw new TooBig();
        }
        if (last && partial.length() == 0) {
            return part;
        }
        partial.append(part);
        if (!last) {
            return null;
        }
        String message = partial.toString();
        partial.setLength(0);
        return message;
    }

    void send(String frame) {
        enqueue(frame);
    }

    /** Pings a client that has not been sent anything for IDLE_NANOS: keeps proxies from timing the socket out. */
    void pingIfIdle(long idleNanos) {
        if (System.nanoTime() - lastSentNanos >= idleNanos) {
            enqueue(PING);
        }
    }

    void close(CloseReason.CloseCode code, String reason) {
        try {
            socket.close(new CloseReason(code, reason));
        } catch (IOException | RuntimeException e) {
            // already closed
        }
    }

    private void enqueue(Object item) {
        synchronized (outbox) {
            if (outbox.size() >= outboxLimit) {
                outbox.clear();
                // the client reconnects with after=<its last id> and catches up from the database
                closeLater(CloseReason.CloseCodes.TRY_AGAIN_LATER, "too far behind; reconnect with after");
                return;
            }
            outbox.add(item);
            if (draining) {
                return;
            }
            draining = true;
        }
        drain();
    }

    /**
     * Sends the outbox in order, one frame in flight: each frame goes out without waiting (the container writes it on
     * the socket's event loop), and its completion sends the next, so no thread waits for a client. A write that
     * completes at once continues this loop instead of nesting. Called by whoever set {@code draining}.
     */
    private void drain() {
        while (true) {
            Object item;
            synchronized (outbox) {
                item = outbox.poll();
                if (item == null) {
                    draining = false;
                    return;
                }
            }
            try {
                if (item == PING) {
                    socket.getAsyncRemote().sendPing(ByteBuffer.allocate(0)); // written without waiting
                    lastSentNanos = System.nanoTime();
                    continue;
                }
                Sent sent = new Sent();
                socket.getAsyncRemote().sendText((String) item, result -> {
                    if (!result.isOK()) {
                        failed();
                        return;
                    }
                    lastSentNanos = System.nanoTime();
                    if (!sent.finishInPlace()) {
                        drain(); // the loop below had already left: carry on from here
                    }
                });
                if (sent.leave()) {
                    return; // still being written: its completion carries on
                }
            } catch (IOException | RuntimeException e) {
                failed();
                return;
            }
        }
    }

    /** The send failed (the client went away): nothing more goes to it, and the socket is closed off the event loop. */
    private void failed() {
        synchronized (outbox) {
            outbox.clear();
            draining = false;
        }
        closeLater(CloseReason.CloseCodes.UNEXPECTED_CONDITION, "send failed");
    }

    /**
     * Closes the socket on a sender thread (the caller may be an event loop); once the instance stops there are none,
     * and ChatRooms.stop has closed every socket already.
     */
    private void closeLater(CloseReason.CloseCode code, String reason) {
        try {
            senders.execute(() -> close(code, reason));
        } catch (RejectedExecutionException stopping) {
            // see above: nothing left to close
        }
    }

    /** Who carries on after one asynchronous send: the loop that made it, if the send completed before it left. */
    private static final class Sent extends AtomicInteger {
        private static final int PENDING = 0;
        private static final int LEFT = 1;
        private static final int DONE = 2;

        /** The completion: true when the sending loop is still there and will go on by itself. */
        boolean finishInPlace() {
            return compareAndSet(PENDING, DONE);
        }

        /** The sending loop: true when it may leave (the completion will go on), false when the send is done already. */
        boolean leave() {
            return compareAndSet(PENDING, LEFT);
        }
    }
}
