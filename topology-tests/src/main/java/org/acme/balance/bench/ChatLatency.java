package org.acme.balance.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The bench's chat latency: SOCKETS members of one room connect through nginx (which spreads them over the instances),
 * then RATE messages a second are sent for SECONDS, each from the next socket in turn; every member's receipt of every
 * message is timed from its send (one JVM, one clock: the send time travels in the text). What is measured is the whole
 * relay: nginx, the instance that stores the message on the primary, PostgreSQL's NOTIFY to every instance, and each
 * instance writing it to its members.
 *
 * <p>Usage: {@code ChatLatency BASE_URL SOCKETS RATE SECONDS}. Prints, tab-separated:
 * {@code CHAT sockets messages deliveries missing p50_ms p99_ms p99.9_ms max_ms instances}, the last as
 * {@code name=count,...} (the members each instance served).
 */
public final class ChatLatency {

    private static final String MARK = "lat-";

    /** One member: the delivery times it measured (its listener is called for one frame at a time). */
    static final class Member implements WebSocket.Listener {
        final long[] micros;
        int received;
        String instance;
        final CompletableFuture<Void> hello = new CompletableFuture<>();
        private final StringBuilder partial = new StringBuilder();

        Member(int capacity) {
            micros = new long[capacity];
        }

        @Override
        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
            long now = System.nanoTime();
            partial.append(data);
            if (last) {
                String frame = partial.toString();
                partial.setLength(0);
                int at = frame.indexOf(MARK);
                if (frame.contains("\"type\":\"message\"") && at >= 0) {
                    int end = at + MARK.length();
                    while (end < frame.length() && Character.isDigit(frame.charAt(end))) {
                        end++;
                    }
                    long sent = Long.parseLong(frame.substring(at + MARK.length(), end));
                    if (received < micros.length) {
                        micros[received++] = (now - sent) / 1000;
                    }
                } else if (frame.contains("\"type\":\"hello\"")) {
                    int i = frame.indexOf("\"instance\":\"");
                    instance = i < 0 ? "?" : frame.substring(i + 12, frame.indexOf('"', i + 12));
                    hello.complete(null);
                }
            }
            socket.request(1);
            return null;
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: ChatLatency BASE_URL SOCKETS RATE SECONDS");
            System.exit(2);
        }
        URI base = URI.create(args[0].replaceFirst("^http", "ws"));
        int sockets = Integer.parseInt(args[1]);
        int rate = Integer.parseInt(args[2]);
        int seconds = Integer.parseInt(args[3]);
        int messages = rate * seconds;
        String room = "bench-latency-" + System.currentTimeMillis();

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        List<Member> members = new ArrayList<>();
        List<WebSocket> open = new ArrayList<>();
        for (int i = 0; i < sockets; i++) {
            Member member = new Member(messages + 16);
            open.add(http.newWebSocketBuilder().buildAsync(base.resolve("/chat/" + room + "?user=member-" + i), member)
                    .get(10, TimeUnit.SECONDS));
            member.hello.get(10, TimeUnit.SECONDS);
            members.add(member);
        }
        // the last join notices settle before the clock starts
        Thread.sleep(1000);

        long start = System.nanoTime();
        for (int m = 0; m < messages; m++) {
            OpenLoop.due(start, m, rate);
            String frame = "{\"type\":\"message\",\"key\":\"k" + m + "\",\"text\":\"" + MARK + System.nanoTime() + "\"}";
            open.get(m % sockets).sendText(frame, true).get(5, TimeUnit.SECONDS);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && members.stream().anyMatch(x -> x.received < messages)) {
            Thread.sleep(50);
        }
        long deliveries = members.stream().mapToLong(x -> x.received).sum();
        long[] all = new long[(int) deliveries];
        int n = 0;
        Map<String, Integer> perInstance = new TreeMap<>();
        for (Member member : members) {
            System.arraycopy(member.micros, 0, all, n, member.received);
            n += member.received;
            perInstance.merge(member.instance, 1, Integer::sum);
        }
        Arrays.sort(all);
        StringBuilder instances = new StringBuilder();
        perInstance.forEach((name, count) -> instances.append(instances.length() == 0 ? "" : ",").append(name)
                .append('=').append(count));
        System.out.printf(Locale.ROOT, "CHAT\t%d\t%d\t%d\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%s%n", sockets, messages,
                deliveries, (long) sockets * messages - deliveries, OpenLoop.ms(all, 0.50), OpenLoop.ms(all, 0.99),
                OpenLoop.ms(all, 0.999), all.length == 0 ? 0 : all[all.length - 1] / 1000.0, instances);
        for (WebSocket socket : open) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done");
        }
        System.exit(0);
    }

    private ChatLatency() {
    }
}
