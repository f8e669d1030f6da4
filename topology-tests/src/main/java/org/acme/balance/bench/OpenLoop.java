package org.acme.balance.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The bench's open-loop (constant-rate) load: request i is due at start + i / RATE whatever the answers before it did,
 * and its latency is counted from that due time, not from when it went out. A slow answer therefore cannot hide the
 * requests it delays (wrk paces each connection: it sends the next request only after the previous answer, so a
 * stall shows as one slow request and a gap, the "coordinated omission" of closed-loop generators).
 *
 * <p>Why its numbers can be trusted: every request is sent asynchronously on a connection of its own when the ones it
 * has are busy (no queue inside the generator), up to {@value #MAX_IN_FLIGHT} in flight (past that a due request counts
 * as an error, never as silently late); and the generator reports how late it sent requests itself (its own lag, in
 * the same units), so a generator that fell behind is seen, not mistaken for the system under test. Its CPU is measured
 * by the bench like wrk's.
 *
 * <p>Usage: {@code OpenLoop BASE_URL RATE SECONDS LO-HI}: GET BASE_URL/users/{random id in [LO, HI]} for SECONDS, after
 * 2 uncounted seconds at the same rate (the generator's own warm-up). Prints the bench's
 * row, tab-separated: {@code BENCH rate duration_ms requests errors p50_ms p99_ms p99.9_ms - -}, then a line
 * {@code SENDLAG p99_ms max_ms}.
 */
public final class OpenLoop {

    static final int MAX_IN_FLIGHT = 2000;

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: OpenLoop BASE_URL RATE SECONDS LO-HI");
            System.exit(2);
        }
        String base = args[0];
        int rate = Integer.parseInt(args[1]);
        int seconds = Integer.parseInt(args[2]);
        String[] range = args[3].split("-");
        long low = Long.parseLong(range[0]);
        long high = Long.parseLong(range[1]);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
        // 2 s at the same rate first, not counted: the generator's own JIT and connections warm up
        run(client, base, rate, 2, low, high, false);
        run(client, base, rate, seconds, low, high, true);
        System.exit(0);
    }

    private static void run(HttpClient client, String base, int rate, int seconds, long low, long high, boolean report)
            throws InterruptedException {
        int total = rate * seconds;
        long[] latencyMicros = new long[total];
        long[] sendLagMicros = new long[total];
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        Arrays.fill(latencyMicros, -1);

        long start = System.nanoTime();
        for (int i = 0; i < total; i++) {
            long due = due(start, i, rate);
            sendLagMicros[i] = (System.nanoTime() - due) / 1000;
            if (inFlight.get() >= MAX_IN_FLIGHT) {
                errors.incrementAndGet(); // the system is that far behind: counted, not queued
                done.incrementAndGet();
                continue;
            }
            long id = ThreadLocalRandom.current().nextLong(low, high + 1);
            HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/users/" + id))
                    .timeout(Duration.ofSeconds(5)).GET().build();
            int index = i;
            inFlight.incrementAndGet();
            client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, failure) -> {
                latencyMicros[index] = (System.nanoTime() - due) / 1000;
                if (failure != null || response.statusCode() != 200) {
                    errors.incrementAndGet();
                    if (report && errors.get() <= 3) {
                        System.err.println("error: " + (failure != null ? failure : "status " + response.statusCode()));
                    }
                }
                inFlight.decrementAndGet();
                done.incrementAndGet();
            });
        }
        long deadline = System.nanoTime() + 6_000_000_000L; // the last request's timeout, and a little
        while (done.get() < total && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        long durationMs = (System.nanoTime() - start) / 1_000_000;
        // a request still unanswered counts as an error at the time the wait ended
        long[] answered = Arrays.stream(latencyMicros).map(l -> l < 0 ? (System.nanoTime() - start) / 1000 : l)
                .sorted().toArray();
        errors.addAndGet(total - done.get());
        Arrays.sort(sendLagMicros);
        if (!report) {
            return;
        }
        System.out.printf(Locale.ROOT, "BENCH\t%d\t%d\t%d\t%d\t%.3f\t%.3f\t%.3f\t-\t-%n", rate, durationMs, total,
                errors.get(), ms(answered, 0.50), ms(answered, 0.99), ms(answered, 0.999));
        System.out.printf(Locale.ROOT, "SENDLAG\t%.3f\t%.3f%n", ms(sendLagMicros, 0.99),
                sendLagMicros[sendLagMicros.length - 1] / 1000.0);
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
