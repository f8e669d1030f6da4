package org.acme.balance.bench;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;

/**
 * The bench's open-loop (constant-rate) load: request i is due at start + i / RATE whatever the answers before it did,
 * and its latency is counted from that due time, not from when it went out. A slow answer therefore cannot hide the
 * requests it delays (wrk paces each connection: it sends the next request only after the previous answer, so a
 * stall shows as one slow request and a gap, the "coordinated omission" of closed-loop generators).
 *
 * <p>Why its numbers can be trusted: requests go out from one Vert.x event loop (Netty, non-blocking), which a timer
 * wakes every millisecond to send all that are due, each on an idle keep-alive connection or a new one (up to
 * {@value #MAX_CONNECTIONS}; past that a request waits for a connection, and that wait counts in its latency). The
 * generator reports how late it sent requests itself (its own lag, in the same units), so a generator that fell behind
 * is seen, not mistaken for the system under test; its CPU is measured by the bench like wrk's. (The JDK's HttpClient,
 * its first version, fell 339 ms behind its schedule at 1,000 requests/s on this machine: a selector thread handing
 * every response to an executor.)
 *
 * <p>Usage: {@code OpenLoop BASE_URL RATE SECONDS LO-HI}: GET BASE_URL/users/{random id in [LO, HI]} for SECONDS, after
 * 2 uncounted seconds at the same rate (the generator's own warm-up). Prints the bench's row, tab-separated:
 * {@code BENCH rate duration_ms requests errors p50_ms p99_ms p99.9_ms - -}, then a line {@code SENDLAG p99_ms max_ms}.
 */
public final class OpenLoop {

    static final int MAX_CONNECTIONS = 512;
    /** A request unanswered this long is an error (nginx's own read timeout is 5 s). */
    static final int TIMEOUT_MILLIS = 5_000;

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
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setPreferNativeTransport(false));
        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
                .setConnectTimeout(2_000).setDefaultHost(base.getHost()).setDefaultPort(base.getPort()),
                new PoolOptions().setHttp1MaxSize(MAX_CONNECTIONS).setMaxWaitQueueSize(-1));
        Context loop = vertx.getOrCreateContext();
        String path = base.getRawPath() == null ? "" : base.getRawPath();
        // 2 s at the same rate first, not counted: the generator's own JIT and connections warm up
        new Schedule(loop, client, path, rate, 2, low, high).run().get();
        Schedule measured = new Schedule(loop, client, path, rate, seconds, low, high);
        measured.run().get();
        measured.report();
        vertx.close();
        System.exit(0);
    }

    /** One run: its requests, their latencies and send lags, all touched only on the event loop. */
    private static final class Schedule {
        private final Context loop;
        private final HttpClient client;
        private final String path;
        private final int rate;
        private final int total;
        private final long low;
        private final long high;
        private final long[] latencyMicros;
        private final long[] sendLagMicros;
        private final SplittableRandom random = new SplittableRandom();
        private final CompletableFuture<Void> finished = new CompletableFuture<>();
        private int sent;
        private int done;
        private int errors;
        private long start;
        private long durationMillis;

        Schedule(Context loop, HttpClient client, String path, int rate, int seconds, long low, long high) {
            this.loop = loop;
            this.client = client;
            this.path = path;
            this.rate = rate;
            this.total = rate * seconds;
            this.low = low;
            this.high = high;
            this.latencyMicros = new long[total];
            this.sendLagMicros = new long[total];
            Arrays.fill(latencyMicros, -1);
        }

        CompletableFuture<Void> run() {
            loop.runOnContext(v -> {
                start = System.nanoTime();
                sendDue();
                loop.owner().setPeriodic(1, timer -> {
                    sendDue();
                    if (sent == total) {
                        loop.owner().cancelTimer(timer);
                    }
                });
                // the last request's timeout, and a little: whatever is unanswered then is an error
                loop.owner().setTimer(total * 1000L / rate + TIMEOUT_MILLIS + 1_000, timer -> finish());
            });
            return finished;
        }

        private void sendDue() {
            long now = System.nanoTime();
            while (sent < total && due(sent) <= now) {
                send(sent++, now);
            }
        }

        private long due(int i) {
            return start + (long) (i * 1e9 / rate);
        }

        private void send(int index, long now) {
            long due = due(index);
            sendLagMicros[index] = (now - due) / 1000;
            long id = low + random.nextLong(high - low + 1);
            RequestOptions request = new RequestOptions().setMethod(HttpMethod.GET).setURI(path + "/users/" + id)
                    .setTimeout(TIMEOUT_MILLIS);
            client.request(request).compose(r -> r.send().compose(response -> response.body().map(body -> response.statusCode())))
                    .onComplete(result -> {
                        if (latencyMicros[index] >= 0 || finished.isDone()) {
                            return;
                        }
                        latencyMicros[index] = (System.nanoTime() - due) / 1000;
                        if (result.failed() || result.result() != 200) {
                            if (++errors <= 3) {
                                System.err.println("error: " + (result.failed() ? result.cause() : "status " + result.result()));
                            }
                        }
                        if (++done == total) {
                            finish();
                        }
                    });
        }

        private void finish() {
            if (finished.isDone()) {
                return;
            }
            long now = System.nanoTime();
            durationMillis = (now - start) / 1_000_000;
            for (int i = 0; i < total; i++) {
                if (latencyMicros[i] < 0) {
                    // unanswered: an error, as late as the wait for it
                    latencyMicros[i] = (now - due(i)) / 1000;
                    errors++;
                }
            }
            finished.complete(null);
        }

        void report() {
            long[] latencies = latencyMicros.clone();
            long[] lags = sendLagMicros.clone();
            Arrays.sort(latencies);
            Arrays.sort(lags);
            System.out.printf(Locale.ROOT, "BENCH\t%d\t%d\t%d\t%d\t%.3f\t%.3f\t%.3f\t-\t-%n", rate, durationMillis, total,
                    errors, ms(latencies, 0.50), ms(latencies, 0.99), ms(latencies, 0.999));
            System.out.printf(Locale.ROOT, "SENDLAG\t%.3f\t%.3f%n", ms(lags, 0.99), lags[lags.length - 1] / 1000.0);
        }
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
