package org.acme.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.acme.balance.topology.LocalTopology;
import org.acme.balance.topology.Topology;
import org.acme.hostile.HostileCorpus;
import org.acme.hostile.HostileCorpus.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue #12 at the edge, on the shared topology: the hostile-input corpus through nginx, what listens where, TLS,
 * Location, the rate and connection limits, the management interface. (The runner's {@code down} after a kill of nginx
 * is tested on a topology of its own, in {@link ConcurrentMigrationIT}: it stops everything.)
 */
@ExtendWith(SharedTopology.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EdgeIT {

    static final Path ROOT = SharedTopology.ROOT;
    static final Path HOME = SharedTopology.HOME;
    static final int PORT_OFFSET = SharedTopology.PORT_OFFSET;
    static final int NGINX = 8080 + PORT_OFFSET;
    static final int NGINX_TLS = 8443 + PORT_OFFSET;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    static final String STATE_SQL = "SELECT (SELECT count(*) FROM users.app_user) || ' users, updated ' "
            + "|| coalesce((SELECT max(updated_at) FROM users.app_user)::text, '-') "
            + "|| ', ' || (SELECT count(*) FROM users.chat_messages) || ' messages, ' "
            + "|| (SELECT count(*) FROM users.idempotency_key) || ' keys'";

    static LocalTopology balance;
    /** port -> an open connection to that node (closed with the topology) */
    static final Map<Integer, Connection> CONNECTIONS = new java.util.HashMap<>();

    @BeforeAll
    static void topology() {
        balance = SharedTopology.balance();
    }

    @AfterAll
    static void closeConnections() {
        for (Connection connection : CONNECTIONS.values()) {
            try {
                connection.close();
            } catch (SQLException e) {
                // the node is gone already
            }
        }
    }

    @Test
    @Order(1)
    void everyCaseOfTheCorpusIsRefusedThroughNginxAndWritesNothing() throws Exception {
        HttpResponse<String> created = send(HttpRequest.newBuilder(balance.api("/users"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"Edge Fixture\",\"email\":\"edge-" + System.nanoTime()
                        + "@example.org\"}")));
        assertEquals(201, created.statusCode(), created.body());
        String id = created.body().replaceAll(".*\"id\":([0-9]+).*", "$1");
        awaitReplica();
        // the leader's own port: earlier suites on this topology may have moved the lead to service-db-2
        int leaderPort = "service-db-2".equals(balance.leader()) ? 15434 + PORT_OFFSET : 15432 + PORT_OFFSET;
        List<HostileCorpus.Case> cases = HostileCorpus.load();
        List<String> failures = HostileCorpus.run(cases, new HostileCorpus.Target() {
            public String via() {
                return "nginx";
            }

            public String host() {
                return "127.0.0.1";
            }

            public int port() {
                return NGINX;
            }

            public String state() throws Exception {
                return "primary " + query(leaderPort, STATE_SQL) + "; replica " + query(15433 + PORT_OFFSET, STATE_SQL);
            }

            public Map<String, String> fixtures() {
                return Map.of("id", id);
            }
        });
        assertEquals(List.of(), failures, failures.size() + " failed checks");
    }

    @Test
    @Order(2)
    void everyListenerOfTheTopologyIsOnLoopback() throws Exception {
        Set<String> pids = topologyPids();
        List<String> listeners = new ArrayList<>();
        Set<Integer> ports = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^\\S+\\s+\\S+\\s+\\S+\\s+\\S+\\s+(\\S+):(\\d+)\\s+\\S+\\s+users:(.*)$")
                .matcher(command("ss", "-Hlntup"));
        while (m.find()) {
            Matcher pid = Pattern.compile("pid=(\\d+)").matcher(m.group(3));
            while (pid.find()) {
                if (pids.contains(pid.group(1))) {
                    listeners.add(m.group(1) + ":" + m.group(2) + " " + m.group(3));
                    ports.add(Integer.parseInt(m.group(2)));
                    break;
                }
            }
        }
        System.out.println("listeners of the topology: " + listeners);
        for (String listener : listeners) {
            // Java reports its IPv4 sockets as IPv4-mapped IPv6 addresses
            assertTrue(listener.startsWith("127.0.0.1:") || listener.startsWith("[::ffff:127.0.0.1]:"),
                    "listens beyond loopback: " + listener);
        }
        // nginx (HTTP, HTTPS), the instances (API, management), HAProxy (write, read, stats), both members of the
        // primary (PostgreSQL, Patroni's REST API), the replica, etcd (client, peer); the monitoring (issue #22):
        // Prometheus, nginx's status listener (stub_status, its own /metrics), the nginx exporter, the three
        // postgres_exporters
        for (int port : List.of(NGINX, NGINX_TLS, 8081 + PORT_OFFSET, 8083 + PORT_OFFSET, 9081 + PORT_OFFSET,
                9083 + PORT_OFFSET, 5000 + PORT_OFFSET, 7000 + PORT_OFFSET, 15432 + PORT_OFFSET, 15434 + PORT_OFFSET,
                8201 + PORT_OFFSET, 8202 + PORT_OFFSET, 15433 + PORT_OFFSET, 2479 + PORT_OFFSET, 2480 + PORT_OFFSET,
                9190 + PORT_OFFSET, 9197 + PORT_OFFSET, 9192 + PORT_OFFSET, 9194 + PORT_OFFSET,
                9195 + PORT_OFFSET, 9196 + PORT_OFFSET)) {
            assertTrue(ports.contains(port), "nothing of the topology listens on " + port + ": " + ports);
        }
    }

    @Test
    @Order(3)
    void composePublishesNginxAndPrometheusOnLoopbackAlone() throws IOException {
        Map<String, List<String>> published = new java.util.LinkedHashMap<>();
        String service = null;
        boolean inPorts = false;
        for (String line : Files.readAllLines(ROOT.resolve("docker-compose-balance.yml"))) {
            if (line.matches("^  [a-z0-9-]+:\\s*$")) {
                service = line.strip().replace(":", "");
                inPorts = false;
            } else if (line.matches("^[a-z].*")) {
                service = null; // volumes:, networks:
            } else if (service != null && line.matches("^    ports:\\s*$")) {
                inPorts = true;
            } else if (inPorts && line.matches("^      - .*")) {
                published.computeIfAbsent(service, s -> new ArrayList<>()).add(line.strip());
            } else if (!line.matches("^      .*")) {
                inPorts = false;
            }
        }
        assertEquals(Set.of("nginx", "prometheus"), published.keySet(), "published ports: " + published);
        assertEquals(List.of("- \"${BALANCE_HTTP_PORT:-8080}:8080\"", "- \"${BALANCE_HTTPS_PORT:-8443}:8443\""),
                published.get("nginx"));
        // the monitoring (issue #22): Prometheus on the host's loopback only, its exporters not at all
        assertEquals(List.of("- \"127.0.0.1:${BALANCE_PROMETHEUS_PORT:-9190}:9090\""), published.get("prometheus"));
    }

    @Test
    @Order(4)
    void healthAndMetricsAreOnTheManagementPortsOnly() throws Exception {
        HttpResponse<String> ready = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + (9081 + PORT_OFFSET) + "/q/health/ready")));
        assertEquals(200, ready.statusCode(), ready.body());
        HttpResponse<String> metrics = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + (9082 + PORT_OFFSET) + "/q/metrics")));
        assertEquals(200, metrics.statusCode());
        for (String path : List.of("/q/health/ready", "/q/metrics", "/q/openapi", "/q/swagger-ui/")) {
            HttpResponse<String> viaNginx = send(HttpRequest.newBuilder(balance.api(path)));
            assertEquals(404, viaNginx.statusCode(), path + ": " + viaNginx.body());
            HttpResponse<String> onTheApiPort = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + (8081 + PORT_OFFSET) + path)));
            assertEquals(404, onTheApiPort.statusCode(), path + " on the instance's API port");
        }
    }

    @Test
    @Order(4)
    void monitoringEndpointsAreNotReachableThroughNginx() throws Exception {
        // issue #22: what Prometheus scrapes, and Prometheus itself, are on loopback ports of their own (above); through
        // nginx, over HTTP and HTTPS, those paths are the API's 404s
        HttpClient tls = HttpClient.newBuilder().sslContext(trustAll()).connectTimeout(Duration.ofSeconds(2)).build();
        for (String path : List.of("/metrics", "/stub_status", "/api/v1/targets", "/api/v1/query?query=up", "/graph",
                "/-/ready", "/alerts", "/user/", "/user/ops.js", "/q/metrics")) {
            HttpResponse<String> viaNginx = send(HttpRequest.newBuilder(balance.api(path)));
            assertEquals(404, viaNginx.statusCode(), path + ": " + viaNginx.body());
            HttpResponse<String> overTls = tls.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + NGINX_TLS + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(404, overTls.statusCode(), path + " over TLS: " + overTls.body());
        }
        // stub_status answers on its own loopback port only, and nothing else there
        assertEquals(200, send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + (9197 + PORT_OFFSET) + "/stub_status"))).statusCode());
        assertEquals(404, send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + (9197 + PORT_OFFSET) + "/users"))).statusCode());
    }

    @Test
    @Order(5)
    void tlsServesTheApiWithTheGeneratedCertificateAndLocationSaysHttps() throws Exception {
        Path key = HOME.resolve("nginx/tls/self-signed.key");
        assertTrue(Files.exists(HOME.resolve("nginx/tls/self-signed.crt")), "the first up made a certificate");
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE), Files.getPosixFilePermissions(key));
        HttpClient tls = HttpClient.newBuilder().sslContext(trustAll()).connectTimeout(Duration.ofSeconds(2)).build();
        HttpResponse<String> host = tls.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + NGINX_TLS + "/host"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, host.statusCode());
        SSLSession session = host.sslSession().orElseThrow();
        assertTrue(session.getProtocol().equals("TLSv1.3") || session.getProtocol().equals("TLSv1.2"), session.getProtocol());
        X509Certificate certificate = (X509Certificate) session.getPeerCertificates()[0];
        assertTrue(certificate.getSubjectAlternativeNames().stream().anyMatch(san -> san.get(1).equals("127.0.0.1")),
                "the certificate names 127.0.0.1: " + certificate.getSubjectAlternativeNames());
        HttpResponse<String> created = tls.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + NGINX_TLS + "/users"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"Over TLS\",\"email\":\"tls-" + System.nanoTime() + "@example.org\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, created.statusCode(), created.body());
        String location = created.headers().firstValue("Location").orElse("");
        assertTrue(location.matches("https://127\\.0\\.0\\.1:" + NGINX_TLS + "/users/[0-9]+"), location);
        // plain HTTP on the TLS port: a problem, not nginx's HTML page
        HttpResponse<String> plain = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + NGINX_TLS + "/host")));
        assertEquals(400, plain.statusCode());
        assertEquals("application/problem+json", plain.headers().firstValue("Content-Type").orElse(""));
        // TLS 1.1 and older are refused
        SSLContext old = SSLContext.getInstance("TLSv1.1");
        old.init(null, new TrustManager[] {trustAllManager()}, new SecureRandom());
        try (var socket = (javax.net.ssl.SSLSocket) old.getSocketFactory().createSocket("127.0.0.1", NGINX_TLS)) {
            socket.setEnabledProtocols(new String[] {"TLSv1.1"});
            socket.setSoTimeout(5000);
            socket.startHandshake();
            throw new AssertionError("a TLS 1.1 handshake succeeded");
        } catch (IOException | IllegalArgumentException refused) {
            // refused (or the JDK itself no longer offers TLS 1.1): either way no TLS 1.1 session
        }
    }

    @Test
    @Order(6)
    void locationUsesTheHostNginxServesAndKeepsThePort() throws Exception {
        for (String name : List.of("127.0.0.1", "localhost")) {
            HttpResponse<String> created = send(HttpRequest.newBuilder(URI.create("http://" + name + ":" + NGINX + "/users"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"Where\",\"email\":\"where-" + System.nanoTime() + "@example.org\"}")));
            assertEquals(201, created.statusCode(), created.body());
            String location = created.headers().firstValue("Location").orElse("");
            assertTrue(location.matches("http://" + Pattern.quote(name) + ":" + NGINX + "/users/[0-9]+"), location);
        }
    }

    @Test
    @Order(7)
    void aClientOverTheRateGets429ProblemsWithRetryAfterAndThenIsServedAgain() throws Exception {
        // the same nginx, restarted with small limits from the environment (the defaults let the benchmarks through)
        LocalTopology limited = new LocalTopology(ROOT, HOME, PORT_OFFSET,
                Map.of("NGINX_RATE_LIMIT", "5r/s", "NGINX_RATE_BURST", "5", "NGINX_CONN_LIMIT", "2"));
        try {
            limited.run("stop", "nginx");
            limited.start("nginx");
            int ok = 0;
            List<HttpResponse<String>> limitedAnswers = new ArrayList<>();
            long started = System.nanoTime();
            for (int i = 0; i < 30; i++) {
                HttpResponse<String> response = send(HttpRequest.newBuilder(balance.api("/host")));
                if (response.statusCode() == 200) {
                    ok++;
                } else {
                    limitedAnswers.add(response);
                }
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            System.out.printf("rate limit 5 r/s, burst 5: %d of 30 served in %.2f s, %d refused%n", ok, seconds, limitedAnswers.size());
            // the burst at once, then 5 a second for as long as the loop took
            assertTrue(ok >= 5 && ok <= 6 + 5 * seconds + 1, "served: " + ok + " in " + seconds + " s");
            assertFalse(limitedAnswers.isEmpty(), "some requests over the rate were refused");
            for (HttpResponse<String> refused : limitedAnswers) {
                assertEquals(429, refused.statusCode(), refused.body());
                assertEquals("application/problem+json", refused.headers().firstValue("Content-Type").orElse(""));
                assertEquals("1", refused.headers().firstValue("Retry-After").orElse(""));
                assertTrue(refused.body().contains("\"status\":429"), refused.body());
            }
            Thread.sleep(2000);
            assertEquals(200, send(HttpRequest.newBuilder(balance.api("/host"))).statusCode(), "served again after a pause");

            // open connections: two chat sockets are in flight, a third is refused with 429
            Thread.sleep(2000);
            List<WebSocket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    sockets.add(HTTP.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + NGINX + "/chat/edge?user=u" + i),
                            new WebSocket.Listener() { }).get(10, TimeUnit.SECONDS));
                }
                try {
                    sockets.add(HTTP.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + NGINX + "/chat/edge?user=u3"),
                            new WebSocket.Listener() { }).join());
                    throw new AssertionError("a third open connection from one address was accepted");
                } catch (CompletionException e) {
                    assertTrue(e.getCause() instanceof WebSocketHandshakeException, e.toString());
                    assertEquals(429, ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode());
                }
            } finally {
                sockets.forEach(WebSocket::abort);
            }
        } finally {
            // back to the defaults for what follows
            limited.run("stop", "nginx");
            balance.start("nginx");
        }
    }

    @Test
    @Order(8)
    void oneRequestIdFromNginxThroughTheInstanceIntoEveryAnswerAndTheAccessLog() throws Exception {
        String id = "edge-it:" + UUID.randomUUID();
        // passed to the instance: the instance's own problem names it; answered once, as it came
        HttpResponse<String> missing = send(HttpRequest.newBuilder(balance.api("/users/999999999")).header("X-Request-Id", id));
        assertEquals(404, missing.statusCode(), missing.body());
        assertTrue(missing.headers().firstValue("X-Served-By").isPresent(), "answered by an instance");
        assertEquals(List.of(id), missing.headers().allValues("X-Request-Id"), "one X-Request-Id, the one sent");
        assertEquals(id, JSON.readTree(missing.body()).path("requestId").asText(), missing.body());
        HttpResponse<String> host = send(HttpRequest.newBuilder(balance.api("/host")).header("X-Request-Id", "edge-it-host"));
        assertEquals(200, host.statusCode());
        assertEquals(List.of("edge-it-host"), host.headers().allValues("X-Request-Id"));

        // malformed: replaced by nginx's own id, which the instance got too; absent: the same
        for (String bad : List.of("x".repeat(65), "a<b>", "two words", "")) {
            HttpResponse<String> replaced = send(HttpRequest.newBuilder(balance.api("/users/999999999")).header("X-Request-Id", bad));
            assertEquals(404, replaced.statusCode(), replaced.body());
            String fresh = replaced.headers().firstValue("X-Request-Id").orElse("");
            assertTrue(fresh.matches("[0-9a-f]{32}"), "[" + bad + "] replaced by nginx's id: " + fresh);
            assertEquals(fresh, JSON.readTree(replaced.body()).path("requestId").asText(), "the instance got nginx's id");
        }
        HttpResponse<String> none = send(HttpRequest.newBuilder(balance.api("/host")));
        assertTrue(none.headers().firstValue("X-Request-Id").orElse("").matches("[0-9a-f]{32}"), none.headers().toString());

        // nginx's own problem pages: 404 under /q/, 413, 400 (edge.js), 421, 405 (TRACE), 414
        nginxProblem(raw("GET /q/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: edge-404\r\n"), 404, "edge-404");
        nginxProblem(raw("POST /users HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: edge-413\r\nContent-Type: application/json\r\n"
                + "Content-Length: 70000\r\n"), 413, "edge-413");
        nginxProblem(raw("GET /users HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: edge-400\r\nX-Bad: a\u0001b\r\n"), 400, "edge-400");
        nginxProblem(raw("GET /users HTTP/1.1\r\nHost: evil.example\r\nX-Request-Id: edge-421\r\n"), 421, "edge-421");
        nginxProblem(raw("TRACE /users HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: edge-405\r\n"), 405, "edge-405");
        nginxProblem(raw("GET /users?" + "a".repeat(9000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: edge-414\r\n"), 414, null);

        // nginx's access log: one JSON object a line, with the id, the instance, its status and time
        Path accessLog = HOME.resolve("logs/nginx-access.log");
        JsonNode line = null;
        for (String text : Files.readAllLines(accessLog)) {
            if (text.contains("\"request_id\":\"" + id + "\"")) {
                line = JSON.readTree(text);
            }
        }
        assertTrue(line != null, "a line of " + accessLog + " with request_id " + id);
        System.out.println("nginx's access log line of " + id + ": " + line);
        assertEquals(Set.of("time", "request_id", "remote_addr", "method", "uri", "status", "request_time", "upstream",
                "upstream_status", "upstream_time", "served_by", "bytes_sent"), fieldNames(line));
        assertEquals("GET", line.path("method").asText());
        assertEquals("/users/999999999", line.path("uri").asText());
        assertTrue(line.path("status").isInt() && line.path("status").asInt() == 404, line.toString());
        assertTrue(line.path("request_time").isNumber() && line.path("bytes_sent").isInt(), line.toString());
        assertEquals("404", line.path("upstream_status").asText());
        assertTrue(line.path("upstream").asText().matches("127\\.0\\.0\\.1:[0-9]+"), line.toString());
        assertTrue(line.path("served_by").asText().startsWith("users-backend-"), line.toString());
        assertTrue(line.path("upstream_time").asText().matches("[0-9.]+"), line.toString());
        // nginx's own answer: no upstream
        JsonNode own = null;
        for (String text : Files.readAllLines(accessLog)) {
            if (text.contains("\"request_id\":\"edge-404\"")) {
                own = JSON.readTree(text);
            }
        }
        assertTrue(own != null && own.path("status").asInt() == 404 && own.path("served_by").asText().isEmpty()
                && own.path("upstream").asText().isEmpty(), String.valueOf(own));
        // ./balance status reads the JSON lines
        String status = balance.run("status");
        assertTrue(status.matches("(?s).*\\(nginx itself\\) +status 404: [0-9]+.*"), status);
        assertTrue(status.matches("(?s).*users-backend-[12] +status 404: [0-9]+.*"), status);
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    private static final ObjectMapper JSON = new ObjectMapper();

    /** An answer of nginx's own (no instance's X-Served-By): a problem of STATUS whose id is ID (null: nginx's). */
    private static void nginxProblem(Response answer, int status, String id) throws IOException {
        assertEquals(status, answer.status(), answer.head() + "\n" + answer.text());
        String header = answer.header("X-Request-Id");
        assertTrue(header != null && (id == null ? header.matches("[0-9a-f]{32}") : header.equals(id)),
                status + ": X-Request-Id " + header + "\n" + answer.head());
        assertEquals(null, answer.header("X-Served-By"), "nginx's own answer");
        assertTrue(String.valueOf(answer.header("Content-Type")).startsWith("application/problem+json"), answer.head());
        assertEquals(header, JSON.readTree(answer.text()).path("requestId").asText(), answer.text());
    }

    /** HEAD (a request line and headers, each ending in CRLF) sent to nginx as it is, with Connection: close. */
    private static Response raw(String head) throws IOException {
        return HostileCorpus.exchange("127.0.0.1", NGINX, (head + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new HashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }


    /** The main pid of every node (./balance status) and their children. */
    private static Set<String> topologyPids() throws Exception {
        Set<String> pids = new HashSet<>();
        // the node table, and the monitoring processes listed under it, indented
        Matcher m = Pattern.compile("(?m)^(?:  )?\\S+ +(\\d+) +(up|frozen) ").matcher(balance.run("status"));
        while (m.find()) {
            pids.add(m.group(1));
        }
        assertTrue(pids.size() >= 7, "every node runs: " + pids);
        // Patroni starts its PostgreSQL detached from itself: the members' postmasters, from their data directories
        for (String member : Topology.MEMBERS) {
            Path dataDirectory = Path.of(balance.psql(member, "SHOW data_directory"));
            pids.add(Files.readAllLines(dataDirectory.resolve("postmaster.pid")).get(0).strip());
        }
        for (String pid : new ArrayList<>(pids)) {
            for (String child : command("pgrep", "-P", pid).split("\\s+")) {
                if (!child.isBlank()) {
                    pids.add(child);
                }
            }
        }
        return pids;
    }

    /** SQL on a database node as its superuser, over TCP with the runner's secret, on a connection kept per node. */
    private static String query(int port, String sql) throws Exception {
        Connection connection = CONNECTIONS.get(port);
        if (connection == null || connection.isClosed()) {
            String password = System.getenv("PG_SUPERUSER_PASSWORD") != null ? System.getenv("PG_SUPERUSER_PASSWORD")
                    : Files.readAllLines(HOME.resolve("secrets.env")).stream()
                            .filter(l -> l.startsWith("PG_SUPERUSER_PASSWORD=")).findFirst().orElseThrow().split("=", 2)[1];
            connection = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/users", "postgres", password);
            CONNECTIONS.put(port, connection);
        }
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static String command(String... args) throws Exception {
        Process process = new ProcessBuilder(args).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), String.join(" ", args));
        return out;
    }

    private static void awaitReplica() throws InterruptedException {
        String sql = "SELECT count(*) FROM users.app_user";
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!balance.psql("service-db", sql).equals(balance.psql("service-db-replica", sql)) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static X509TrustManager trustAllManager() {
        return new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
    }

    /** The certificate is self-signed: this test checks it by its names, not by a chain. */
    private static SSLContext trustAll() throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {trustAllManager()}, new SecureRandom());
        return context;
    }
}
