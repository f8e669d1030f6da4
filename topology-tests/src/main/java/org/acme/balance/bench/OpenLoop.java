package org.acme.balance.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The bench's open-loop (constant-rate) load: request i is due at start + i / RATE whatever the answers before it did,
 * and its latency is counted from that due time, not from when it went out. A slow answer therefore cannot hide the
 * requests it delays (wrk paces each connection: it sends the next request only after the previous answer, so a
 * stall shows as one slow request and a gap, the "coordinated omission" of closed-loop generators).
 *
 * <p>Why its numbers can be trusted: it is as light as wrk per request, because on this 2-core machine every
 * microsecond the generator spends is taken from the stack it measures. One thread, one selector, plain non-blocking
 * sockets: a due request goes out at once on an idle keep-alive connection, or on a new one (up to
 * {@value #MAX_CONNECTIONS}); past that it waits for the first connection free, and that wait counts in its latency.
 * No HTTP library, no object per request: the request is a few bytes, the answer is read until its Content-Length (or
 * its last chunk). The generator reports how late it noticed requests were due (its own lag, same units), so a
 * generator that fell behind is seen, not mistaken for the system under test; the bench runs it at a real-time
 * priority for that reason, and measures its CPU like wrk's. (Its first two versions, on the JDK's HttpClient and on
 * Vert.x's, spent about 0.2 ms of CPU per request and fell 40 to 340 ms behind their schedule at 2,200 requests/s.)
 *
 * <p>Usage: {@code OpenLoop BASE_URL RATE SECONDS LO-HI}: GET BASE_URL/users/{random id in [LO, HI]} for SECONDS, after
 * 2 uncounted seconds at the same rate (the generator's own warm-up). Prints the bench's row, tab-separated:
 * {@code BENCH rate duration_ms requests errors p50_ms p99_ms p99.9_ms - -}, then a line {@code SENDLAG p99_ms max_ms}.
 */
public final class OpenLoop {

    static final int MAX_CONNECTIONS = 512;
    /** A request unanswered this long is an error (nginx's own read timeout is 5 s). */
    static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final byte[] HEADER_END = {'\r', '\n', '\r', '\n'};
    private static final byte[] LAST_CHUNK = {'0', '\r', '\n', '\r', '\n'};

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: OpenLoop BASE_URL RATE SECONDS LO-HI");
            System.exit(2);
        }
        URI base = URI.create(args[0]);
        int rate = Integer.parseInt(args[1]);
        int seconds = Integer.parseInt(args[2]);
        String[] range = args[3].split("-");
        long low = Long.parseLong(range[0]);
        long high = Long.parseLong(range[1]);
        InetSocketAddress target = new InetSocketAddress(base.getHost(), base.getPort());
        String path = base.getRawPath() == null ? "" : base.getRawPath();
        try (Selector selector = Selector.open()) {
            Generator generator = new Generator(selector, target, base.getHost() + ":" + base.getPort(), path, low, high);
            // 2 s at the same rate first, not counted: the generator's own JIT and connections warm up
            generator.run(rate, 2);
            generator.run(rate, seconds).report(rate);
        }
        System.exit(0);
    }

    /** One keep-alive connection and the request on it, if any. */
    private static final class Connection {
        final SocketChannel channel;
        final ByteBuffer in = ByteBuffer.allocate(16 * 1024);
        int request = -1; // index of the request in flight, -1 when idle

        Connection(SocketChannel channel) {
            this.channel = channel;
        }
    }

    /** The figures of one run. */
    private record Figures(long durationMillis, long[] latencyMicros, long[] sendLagMicros, int errors) {
        void report(int rate) {
            long[] latencies = latencyMicros.clone();
            long[] lags = sendLagMicros.clone();
            Arrays.sort(latencies);
            Arrays.sort(lags);
            System.out.printf(Locale.ROOT, "BENCH\t%d\t%d\t%d\t%d\t%.3f\t%.3f\t%.3f\t-\t-%n", rate, durationMillis,
                    latencies.length, errors, ms(latencies, 0.50), ms(latencies, 0.99), ms(latencies, 0.999));
            System.out.printf(Locale.ROOT, "SENDLAG\t%.3f\t%.3f%n", ms(lags, 0.99),
                    lags.length == 0 ? 0 : lags[lags.length - 1] / 1000.0);
        }
    }

    private static final class Generator {
        private final Selector selector;
        private final InetSocketAddress target;
        private final String host;
        private final String path;
        private final long low;
        private final long high;
        private final SplittableRandom random = new SplittableRandom();
        private final ArrayDeque<Connection> idle = new ArrayDeque<>();
        private final ArrayDeque<Integer> waiting = new ArrayDeque<>(); // due, no connection free
        private int open;
        // the current run
        private long start;
        private int rate;
        private long[] latencyMicros;
        private long[] sendLagMicros;
        private long[] sentAt;
        private int errors;
        private int done;

        Generator(Selector selector, InetSocketAddress target, String host, String path, long low, long high) {
            this.selector = selector;
            this.target = target;
            this.host = host;
            this.path = path;
            this.low = low;
            this.high = high;
        }

        Figures run(int rate, int seconds) throws IOException {
            int total = rate * seconds;
            this.rate = rate;
            latencyMicros = new long[total];
            sendLagMicros = new long[total];
            sentAt = new long[total];
            Arrays.fill(latencyMicros, -1);
            errors = 0;
            done = 0;
            waiting.clear();
            start = System.nanoTime();
            int next = 0;
            long lastExpiry = start;
            long end = due(total - 1) + TIMEOUT_NANOS + TimeUnit.SECONDS.toNanos(1);
            while (done < total && System.nanoTime() < end) {
                long now = System.nanoTime();
                while (next < total && due(next) <= now) {
                    sendLagMicros[next] = (now - due(next)) / 1000;
                    dispatch(next++);
                }
                long untilNext = next < total ? due(next) - System.nanoTime() : TimeUnit.MILLISECONDS.toNanos(10);
                if (untilNext <= 0) {
                    selector.selectNow();
                } else {
                    selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(untilNext)));
                }
                for (SelectionKey key : selector.selectedKeys()) {
                    handle(key);
                }
                selector.selectedKeys().clear();
                if (System.nanoTime() - lastExpiry > TimeUnit.MILLISECONDS.toNanos(100)) {
                    lastExpiry = System.nanoTime();
                    expire(lastExpiry);
                }
            }
            long now = System.nanoTime();
            for (int i = 0; i < total; i++) {
                if (latencyMicros[i] < 0) {
                    latencyMicros[i] = (now - due(i)) / 1000; // unanswered: an error, as late as the wait for it
                    errors++;
                }
            }
            // whatever is still in flight belongs to this run: those connections are dropped
            for (SelectionKey key : selector.keys()) {
                Connection c = (Connection) key.attachment();
                if (c.request >= 0) {
                    close(key);
                }
            }
            return new Figures((now - start) / 1_000_000, latencyMicros, sendLagMicros, errors);
        }

        private long due(int i) {
            return start + (long) (i * 1e9 / rate);
        }

        /** Request I on an idle connection, a new one, or in the queue for the first one free. */
        private void dispatch(int i) throws IOException {
            Connection c = idle.pollFirst();
            if (c != null) {
                send(c, i);
            } else if (open < MAX_CONNECTIONS) {
                try {
                    connect(i);
                } catch (IOException e) {
                    fail(i); // refused: nothing listens
                }
            } else {
                waiting.addLast(i);
            }
        }

        private void connect(int i) throws IOException {
            SocketChannel channel = SocketChannel.open();
            Connection c = new Connection(channel);
            c.request = i;
            open++;
            try {
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                if (channel.connect(target)) {
                    channel.register(selector, SelectionKey.OP_READ, c);
                    send(c, i);
                } else {
                    channel.register(selector, SelectionKey.OP_CONNECT, c);
                }
            } catch (IOException e) {
                open--;
                channel.close();
                throw e;
            }
        }

        private void send(Connection c, int i) throws IOException {
            c.request = i;
            c.in.clear();
            sentAt[i] = System.nanoTime();
            long id = low + random.nextLong(high - low + 1);
            ByteBuffer request = ByteBuffer.wrap(("GET " + path + "/users/" + id + " HTTP/1.1\r\nHost: " + host
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            while (request.hasRemaining()) {
                if (c.channel.write(request) < 0) {
                    throw new IOException("closed");
                }
            }
        }

        private void handle(SelectionKey key) {
            Connection c = (Connection) key.attachment();
            try {
                if (key.isConnectable()) {
                    c.channel.finishConnect();
                    key.interestOps(SelectionKey.OP_READ);
                    send(c, c.request);
                    return;
                }
                if (!key.isReadable()) {
                    return;
                }
                int read = c.channel.read(c.in);
                if (read < 0) {
                    // closed by the server: an error only if a request was on it
                    fail(c.request);
                    close(key);
                    return;
                }
                if (c.request < 0) {
                    return;
                }
                int status = complete(c.in);
                if (status == 0) {
                    return;
                }
                answered(c.request, status == 200);
                c.request = -1;
                if (closes(c.in)) {
                    close(key);
                } else {
                    reuse(c);
                }
            } catch (IOException e) {
                fail(c.request);
                close(key);
            }
        }

        private void reuse(Connection c) throws IOException {
            Integer queued = waiting.pollFirst();
            if (queued != null) {
                send(c, queued);
            } else {
                idle.addLast(c);
            }
        }

        private void answered(int i, boolean ok) {
            if (i < 0 || latencyMicros[i] >= 0) {
                return;
            }
            latencyMicros[i] = (System.nanoTime() - due(i)) / 1000;
            if (!ok && ++errors <= 3) {
                System.err.println("error: request " + i + " not answered 200");
            }
            done++;
        }

        private void fail(int i) {
            if (i >= 0 && latencyMicros[i] < 0) {
                latencyMicros[i] = (System.nanoTime() - due(i)) / 1000;
                errors++;
                done++;
            }
        }

        private void close(SelectionKey key) {
            Connection c = (Connection) key.attachment();
            key.cancel();
            try {
                c.channel.close();
            } catch (IOException ignored) {
                // closing
            }
            idle.remove(c);
            open--;
            // a request queued for a connection gets a new one
            Integer queued = waiting.pollFirst();
            if (queued != null) {
                try {
                    dispatch(queued);
                } catch (IOException e) {
                    fail(queued);
                }
            }
        }

        /** Requests in flight past the timeout fail, and their connections are closed. */
        private void expire(long now) {
            for (SelectionKey key : selector.keys().toArray(SelectionKey[]::new)) {
                Connection c = (Connection) key.attachment();
                if (key.isValid() && c.request >= 0 && sentAt[c.request] != 0 && now - sentAt[c.request] > TIMEOUT_NANOS) {
                    fail(c.request);
                    close(key);
                }
            }
        }
    }

    /** The status of the whole answer in IN (0 while incomplete): after its headers, Content-Length bytes or chunks. */
    static int complete(ByteBuffer in) {
        byte[] bytes = in.array();
        int length = in.position();
        int headerEnd = indexOf(bytes, length, HEADER_END, 0);
        if (headerEnd < 0 || length < 12) {
            return 0;
        }
        int status = (bytes[9] - '0') * 100 + (bytes[10] - '0') * 10 + (bytes[11] - '0');
        String headers = new String(bytes, 0, headerEnd, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
        int body = headerEnd + 4;
        int at = headers.indexOf("\ncontent-length:");
        if (at >= 0) {
            int eol = headers.indexOf('\r', at + 1);
            long contentLength = Long.parseLong(headers.substring(at + 16, eol < 0 ? headers.length() : eol).strip());
            return length - body >= contentLength ? status : 0;
        }
        if (headers.contains("\ntransfer-encoding: chunked")) {
            return length - body >= LAST_CHUNK.length
                    && indexOf(bytes, length, LAST_CHUNK, length - LAST_CHUNK.length) >= 0 ? status : 0;
        }
        return status; // no body (204, 304)
    }

    /** Whether the answer in IN ends its connection. */
    static boolean closes(ByteBuffer in) {
        int headerEnd = indexOf(in.array(), in.position(), HEADER_END, 0);
        return new String(in.array(), 0, headerEnd, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT)
                .contains("\nconnection: close");
    }

    private static int indexOf(byte[] bytes, int length, byte[] pattern, int from) {
        outer:
        for (int i = Math.max(0, from); i <= length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (bytes[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** When the I-th event of a schedule of RATE a second from START (System.nanoTime()) is due; waits until then. */
    static long due(long start, int i, int rate) {
        long due = start + (long) (i * 1e9 / rate);
        long wait = due - System.nanoTime();
        if (wait > 0) {
            LockSupport.parkNanos(wait);
            while (System.nanoTime() < due) {
                Thread.onSpinWait();
            }
        }
        return due;
    }

    /** The value at QUANTILE of SORTED microseconds, in milliseconds (nearest rank). */
    static double ms(long[] sorted, double quantile) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(quantile * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank))] / 1000.0;
    }

    private OpenLoop() {
    }
}
