package org.acme.balance.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The bench's chat latency: SOCKETS members of one room connect through nginx, spread over the instances, then RATE
 * messages a second are sent for SECONDS, each from the next socket in turn; every member's receipt of every message is
 * timed from its send (one JVM, one clock: the send time travels in the text). What is measured is the whole relay:
 * nginx, the instance that stores the message on the primary, PostgreSQL's NOTIFY to every instance, and each instance
 * writing it to its members.
 *
 * <p>nginx keeps a client's sockets on one instance (ip_hash, on the first three bytes of an IPv4 address), so sockets
 * from one address would all land on one instance. The members therefore connect from several loopback networks
 * (127.0.N.1): one probe socket from each finds the instance nginx gives it, and the members are dealt over one address
 * per instance, as clients from different networks would be. Sockets are Vert.x (Netty) clients on two event loops,
 * so the receiving side keeps up with 10,000 deliveries a second (the JDK's WebSocket client, its first version, did
 * not).
 *
 * <p>Usage: {@code ChatLatency BASE_URL SOCKETS RATE SECONDS}. Prints, tab-separated:
 * {@code CHAT sockets messages deliveries missing p50_ms p99_ms p99.9_ms max_ms instances}, the last as
 * {@code name=count,...} (the members each instance served).
 */
public final class ChatLatency {

    private static final String MARK = "lat-";
    /** Loopback networks tried as source addresses, 127.0.0.1 to 127.0.(N-1).1. */
    private static final int SOURCE_NETWORKS = 32;

    /** One member: the delivery times it measured (its handler runs on its socket's event loop only). */
    static final class Member {
        final long[] micros;
        volatile int received;
        volatile String instance;
        final CompletableFuture<Void> hello = new CompletableFuture<>();

        Member(int capacity) {
            micros = new long[capacity];
        }

        void onText(String frame) {
            long now = System.nanoTime();
            int at = frame.indexOf(MARK);
            if (frame.contains("\"type\":\"message\"") && at >= 0) {
                int end = at + MARK.length();
                while (end < frame.length() && Character.isDigit(frame.charAt(end))) {
                    end++;
                }
                long sent = Long.parseLong(frame.substring(at + MARK.length(), end));
                if (received < micros.length) {
                    micros[received] = (now - sent) / 1000;
                    received = received + 1;
                }
            } else if (frame.contains("\"type\":\"hello\"")) {
                int i = frame.indexOf("\"instance\":\"");
                instance = i < 0 ? "?" : frame.substring(i + 12, frame.indexOf('"', i + 12));
                hello.complete(null);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: ChatLatency BASE_URL SOCKETS RATE SECONDS");
            System.exit(2);
        }
        URI base = URI.create(args[0]);
        int sockets = Integer.parseInt(args[1]);
        int rate = Integer.parseInt(args[2]);
        int seconds = Integer.parseInt(args[3]);
        int messages = rate * seconds;
        String room = "bench-latency-" + System.currentTimeMillis();
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setPreferNativeTransport(false));

        // one source address per instance that nginx chose for it
        Map<String, WebSocketClient> sources = new LinkedHashMap<>();
        for (int network = 0; network < SOURCE_NETWORKS; network++) {
            WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
                    .setLocalAddress("127.0." + network + ".1").setConnectTimeout(5_000).setMaxConnections(sockets + 1));
            Member probe = new Member(0);
            WebSocket socket = connect(client, base, room + "-probe", "probe-" + network, probe);
            probe.hello.get(10, TimeUnit.SECONDS);
            socket.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
            if (sources.putIfAbsent(probe.instance, client) != null) {
                client.close();
            }
        }
        List<WebSocketClient> clients = new ArrayList<>(sources.values());
        System.err.printf("chat: %d instance(s) behind nginx from %d source networks: %s%n", clients.size(),
                SOURCE_NETWORKS, sources.keySet());

        List<Member> members = new ArrayList<>();
        List<WebSocket> open = new ArrayList<>();
        for (int i = 0; i < sockets; i++) {
            Member member = new Member(messages + 16);
            open.add(connect(clients.get(i % clients.size()), base, room, "member-" + i, member));
            member.hello.get(10, TimeUnit.SECONDS);
            members.add(member);
        }
        // the last join notices settle before the clock starts
        Thread.sleep(1000);

        long start = System.nanoTime();
        for (int m = 0; m < messages; m++) {
            OpenLoop.due(start, m, rate);
            String frame = "{\"type\":\"message\",\"key\":\"k" + m + "\",\"text\":\"" + MARK + System.nanoTime() + "\"}";
            open.get(m % sockets).writeTextMessage(frame);
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
            int received = member.received;
            System.arraycopy(member.micros, 0, all, n, received);
            n += received;
            perInstance.merge(member.instance, 1, Integer::sum);
        }
        Arrays.sort(all);
        StringBuilder instances = new StringBuilder();
        perInstance.forEach((name, count) -> instances.append(instances.length() == 0 ? "" : ",").append(name)
                .append('=').append(count));
        System.out.printf(Locale.ROOT, "CHAT\t%d\t%d\t%d\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%s%n", sockets, messages,
                deliveries, (long) sockets * messages - deliveries, OpenLoop.ms(all, 0.50), OpenLoop.ms(all, 0.99),
                OpenLoop.ms(all, 0.999), all.length == 0 ? 0 : all[all.length - 1] / 1000.0, instances);
        List<Future<Void>> closing = new ArrayList<>();
        for (WebSocket socket : open) {
            closing.add(socket.close((short) 1000, "done"));
        }
        Future.join(closing).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        System.exit(0);
    }

    private static WebSocket connect(WebSocketClient client, URI base, String room, String user, Member member)
            throws Exception {
        WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(base.getHost()).setPort(base.getPort())
                .setURI("/chat/" + room + "?user=" + user);
        // the handler is set on the socket's event loop as it opens, before any frame (the hello) is read
        return client.connect(options).map(socket -> { socket.textMessageHandler(member::onText); return socket; }).toCompletionStage()
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private ChatLatency() {
    }
}
