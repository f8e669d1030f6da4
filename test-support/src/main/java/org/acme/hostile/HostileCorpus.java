package org.acme.hostile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The hostile-input corpus ({@code test-support/src/main/resources/hostile/corpus.json}, documented in
 * docs/security.md) sent to one entry point: an instance (UserResource's @QuarkusTest) or nginx (EdgeIT). Requests go
 * out over a plain socket, byte for byte as the corpus writes them (invalid UTF-8, control characters, repeated
 * headers, raw WebSocket frames: nothing an HTTP client library would send). Each case must be refused with its
 * status and a problem+json body (HTTP) or its error frame or close code (WebSocket), must not echo the marker
 * CANARY or the host evil.example, and must leave {@link Target#state()} (row counts) as it was.
 *
 * <p>In test-support, the test code both modules share.
 */
public final class HostileCorpus {

    /** Where a corpus runs. */
    public interface Target {

        /** "instance" or "nginx": cases marked with the other one are skipped. */
        String via();

        String host();

        int port();

        /** What must not change: row counts and the newest update on both database nodes. */
        String state() throws Exception;

        /** Values for ${id} (an existing user) and the like. */
        Map<String, String> fixtures();
    }

    public record Case(String id, boolean issue, String via, JsonNode http, JsonNode ws, JsonNode expect) {
    }

    public static final String CANARY = "CANARY";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([a-z]+)(?::([0-9]+):([^}]*))?}");
    private static final int TIMEOUT_MILLIS = 10_000;
    private static final AtomicLong UNIQUE = new AtomicLong(System.nanoTime());

    private HostileCorpus() {
    }

    /** The corpus of this repository, from the classpath. */
    public static List<Case> load() throws IOException {
        try (InputStream in = HostileCorpus.class.getResourceAsStream("/hostile/corpus.json")) {
            if (in == null) {
                throw new IOException("hostile/corpus.json is not on the classpath");
            }
            return cases(JSON.readTree(in));
        }
    }

    public static List<Case> load(Path file) throws IOException {
        return cases(JSON.readTree(file.toFile()));
    }

    private static List<Case> cases(JsonNode corpus) {
        List<Case> cases = new ArrayList<>();
        for (JsonNode c : corpus.get("cases")) {
            cases.add(new Case(c.get("id").asText(), c.path("issue").asBoolean(false), c.path("via").asText("both"),
                    c.get("http"), c.get("ws"), c.get("expect")));
        }
        return cases;
    }

    /** Runs every case meant for TARGET; returns one line per failed check (empty: all passed). */
    public static List<String> run(List<Case> cases, Target target) throws Exception {
        List<String> failures = new ArrayList<>();
        int ran = 0;
        for (Case c : cases) {
            if (!c.via().equals("both") && !c.via().equals(target.via())) {
                continue;
            }
            ran++;
            String before = target.state();
            List<String> problems = new ArrayList<>();
            try {
                if (c.http() != null) {
                    checkHttp(c, target, problems);
                } else {
                    checkWebSocket(c, target, problems);
                }
            } catch (IOException | RuntimeException e) {
                problems.add("failed to run: " + e);
            }
            String after = target.state();
            if (!before.equals(after)) {
                problems.add("something was written: " + before + " -> " + after);
            }
            problems.forEach(p -> failures.add(c.id() + " (via " + target.via() + "): " + p));
        }
        System.out.printf("hostile corpus via %s: %d cases, %d failed checks%n", target.via(), ran, failures.size());
        return failures;
    }

    // ---- HTTP ---------------------------------------------------------------------------------------------------

    private static void checkHttp(Case c, Target target, List<String> problems) throws IOException {
        Map<String, String> vars = vars(c, target);
        byte[] request = c.http().has("raw") ? bytes(expand(c.http().get("raw").asText(), vars)) : request(c.http(), vars);
        Response response = exchange(target, request);
        JsonNode expect = c.expect();
        int status = expect.get("status").asInt();
        if (response.status != status) {
            problems.add("status " + response.status + ", expected " + status + "; body: " + response.text());
        }
        if (response.status >= 500) {
            problems.add("a server error for a malformed request");
        }
        if (expect.path("problem").asBoolean(true)) {
            checkProblem(response, problems);
        }
        for (JsonNode field : expect.path("fields")) {
            if (!response.fields().contains(field.asText())) {
                problems.add("no error about field " + field.asText() + ": " + response.text());
            }
        }
        expect.path("headers").fields().forEachRemaining(h -> {
            String value = response.header(h.getKey());
            if (!h.getValue().asText().equals(value)) {
                problems.add("header " + h.getKey() + " is " + value + ", expected " + h.getValue().asText());
            }
        });
        if (expect.has("allow")) {
            String allow = response.header("Allow");
            List<String> allowed = allow == null ? List.of()
                    : List.of(allow.replace(" ", "").toUpperCase(Locale.ROOT).split(","));
            for (JsonNode method : expect.get("allow")) {
                if (!allowed.contains(method.asText())) {
                    problems.add("Allow (" + allow + ") lacks " + method.asText());
                }
            }
            for (JsonNode method : expect.path("disallow")) {
                if (allowed.contains(method.asText())) {
                    problems.add("Allow (" + allow + ") lists " + method.asText());
                }
            }
        }
        String everything = response.head + response.text();
        if (everything.contains(CANARY) || everything.toLowerCase(Locale.ROOT).contains("evil.example")) {
            problems.add("the response repeats the request's input: " + everything);
        }
    }

    private static void checkProblem(Response response, List<String> problems) {
        String type = response.header("Content-Type");
        if (type == null || !type.startsWith("application/problem+json")) {
            problems.add("Content-Type " + type + ", expected application/problem+json");
            return;
        }
        try {
            JsonNode body = JSON.readTree(response.body);
            if (body == null || !body.isObject() || body.path("status").asInt() != response.status
                    || !body.path("type").isTextual() || !body.path("title").isTextual()) {
                problems.add("not a problem with this status, a type and a title: " + response.text());
            }
        } catch (IOException e) {
            problems.add("the problem is not JSON: " + response.text());
        }
    }

    private static byte[] request(JsonNode http, Map<String, String> vars) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] body = http.has("body") ? bytes(expand(http.get("body").asText(), vars)) : null;
        write(out, bytes(http.get("method").asText() + " " + expand(http.get("target").asText(), vars) + " HTTP/1.1\r\n"));
        boolean host = false;
        boolean length = false;
        for (JsonNode header : http.path("headers")) {
            String name = header.get(0).asText();
            host |= name.equalsIgnoreCase("Host");
            length |= name.equalsIgnoreCase("Content-Length") || name.equalsIgnoreCase("Transfer-Encoding");
            write(out, bytes(name + ": " + expand(header.get(1).asText(), vars) + "\r\n"));
        }
        if (!host) {
            write(out, bytes("Host: " + vars.get("host") + "\r\n"));
        }
        if (body != null && !length) {
            write(out, bytes("Content-Length: " + body.length + "\r\n"));
        }
        write(out, bytes("Connection: close\r\n\r\n"));
        if (body != null) {
            write(out, body);
        }
        return out.toByteArray();
    }

    /** An answer read off the wire: its status, its head (status line and headers) and its body. */
    public record Response(int status, String head, byte[] body) {

        public String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).strip();
                }
            }
            return null;
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        List<String> fields() {
            List<String> fields = new ArrayList<>();
            try {
                JSON.readTree(body).path("errors").forEach(e -> fields.add(e.path("field").asText()));
            } catch (IOException e) {
                // not JSON: no fields
            }
            return fields;
        }
    }

    static Response exchange(Target target, byte[] request) throws IOException {
        return exchange(target.host(), target.port(), request);
    }

    /** Sends REQUEST as it is on a connection of its own and reads the answer until the server closes it. */
    public static Response exchange(String host, int port, byte[] request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), TIMEOUT_MILLIS);
            socket.setSoTimeout(TIMEOUT_MILLIS);
            try {
                OutputStream out = socket.getOutputStream();
                out.write(request);
                out.flush();
            } catch (IOException refusedMidway) {
                // a server may answer (413, 400) and close before reading everything: its answer is still there
            }
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int n; (n = in.read(buffer)) != -1; ) {
                    received.write(buffer, 0, n);
                }
            } catch (SocketTimeoutException e) {
                throw new IOException("no complete answer within " + TIMEOUT_MILLIS + " ms: "
                        + received.toString(StandardCharsets.ISO_8859_1));
            } catch (IOException reset) {
                // a reset after the answer: keep what came
            }
            return parse(received.toByteArray());
        }
    }

    private static Response parse(byte[] raw) throws IOException {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.") || end < 0) {
            throw new IOException("not an HTTP response: " + text);
        }
        String head = text.substring(0, end);
        int status = Integer.parseInt(head.substring(9, 12));
        byte[] body = java.util.Arrays.copyOfRange(raw, end + 4, raw.length);
        Response response = new Response(status, head, body);
        if ("chunked".equalsIgnoreCase(response.header("Transfer-Encoding"))) {
            body = dechunk(body);
        } else if (response.header("Content-Length") != null) {
            body = java.util.Arrays.copyOf(body, Math.min(body.length, Integer.parseInt(response.header("Content-Length"))));
        }
        return new Response(status, head, body);
    }

    private static byte[] dechunk(byte[] chunked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int at = 0;
        while (at < chunked.length) {
            int eol = indexOf(chunked, at);
            int size = Integer.parseInt(new String(chunked, at, eol - at, StandardCharsets.ISO_8859_1).split(";")[0].strip(), 16);
            if (size == 0) {
                break;
            }
            out.write(chunked, eol + 2, size);
            at = eol + 2 + size + 2;
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] data, int from) {
        for (int i = from; i + 1 < data.length; i++) {
            if (data[i] == '\r' && data[i + 1] == '\n') {
                return i;
            }
        }
        return data.length;
    }

    // ---- WebSocket ----------------------------------------------------------------------------------------------

    private static void checkWebSocket(Case c, Target target, List<String> problems) throws IOException {
        Map<String, String> vars = vars(c, target);
        JsonNode expect = c.expect();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(target.host(), target.port()), TIMEOUT_MILLIS);
            socket.setSoTimeout(TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            byte[] key = new byte[16];
            new SecureRandom().nextBytes(key);
            out.write(bytes("GET " + expand(c.ws().get("path").asText(), vars) + " HTTP/1.1\r\nHost: " + vars.get("host")
                    + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                    + Base64.getEncoder().encodeToString(key) + "\r\nSec-WebSocket-Version: 13\r\n\r\n"));
            out.flush();
            String head = readHead(in);
            if (!head.startsWith("HTTP/1.1 101")) {
                problems.add("no WebSocket: " + head);
                return;
            }
            if (!expect.has("refused")) {
                Frame hello = next(in, out, problems, "hello");
                if (hello == null) {
                    return;
                }
            }
            for (JsonNode frame : c.ws().path("frames")) {
                sendFrame(out, frame, vars);
            }
            if (expect.has("refused") || expect.has("close")) {
                int code = expect.has("refused") ? expect.get("refused").asInt() : expect.get("close").asInt();
                if (expect.has("refused")) {
                    // refused at open: first an error frame that says why, then the close
                    Frame error = next(in, out, problems, "error");
                    if (error == null || JSON.readTree(error.text()).path("status").asInt() != 400) {
                        problems.add("no 400 error frame before the close: " + (error == null ? "" : error.text()));
                        return;
                    }
                }
                Frame close = next(in, out, problems, "close");
                if (close != null && close.closeCode() != code) {
                    problems.add("closed with " + close.closeCode() + ", expected " + code);
                }
            } else {
                int status = expect.get("error").asInt();
                Frame error = next(in, out, problems, "error");
                if (error != null) {
                    JsonNode body = JSON.readTree(error.text());
                    if (body.path("status").asInt() != status || !body.path("detail").isTextual()) {
                        problems.add("error frame " + error.text() + ", expected status " + status);
                    }
                    if (error.text().contains(CANARY)) {
                        problems.add("the error frame repeats the input: " + error.text());
                    }
                    // the socket stays open: a ping gets its pong
                    writeFrame(out, 0x9, true, bytes("still there?"));
                    next(in, out, problems, "pong");
                }
                writeFrame(out, 0x8, true, new byte[] {0x03, (byte) 0xE8});
            }
        }
    }

    record Frame(int opcode, byte[] payload) {

        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
        }

        String kind() {
            return switch (opcode) {
                case 0x1 -> {
                    try {
                        yield JSON.readTree(payload).path("type").asText("text");
                    } catch (IOException e) {
                        yield "text";
                    }
                }
                case 0x8 -> "close";
                case 0x9 -> "ping";
                case 0xA -> "pong";
                default -> "opcode " + opcode;
            };
        }
    }

    /** Reads frames until one of KIND; join/leave notices and pings are skipped; anything else is a failure. */
    private static Frame next(InputStream in, OutputStream out, List<String> problems, String kind) throws IOException {
        while (true) {
            Frame frame;
            try {
                frame = readFrame(in);
            } catch (SocketTimeoutException e) {
                problems.add("no " + kind + " frame within " + TIMEOUT_MILLIS + " ms");
                return null;
            } catch (IOException e) {
                problems.add("the connection ended before a " + kind + " frame (" + e.getMessage() + ")");
                return null;
            }
            String got = frame.kind();
            if (got.equals(kind)) {
                return frame;
            }
            if (got.equals("join") || got.equals("leave") || got.equals("ping")) {
                continue;
            }
            problems.add("a " + got + " frame before the " + kind + " frame: " + frame.text());
            return null;
        }
    }

    private static void sendFrame(OutputStream out, JsonNode frame, Map<String, String> vars) throws IOException {
        boolean fin = frame.path("fin").asBoolean(true);
        if (frame.has("text")) {
            writeFrame(out, frame.path("continuation").asBoolean(false) ? 0x0 : 0x1, fin, bytes(expand(frame.get("text").asText(), vars)));
        } else if (frame.has("binary")) {
            writeFrame(out, frame.path("continuation").asBoolean(false) ? 0x0 : 0x2, fin, HexFormat.of().parseHex(frame.get("binary").asText()));
        } else if (frame.has("binaryLength")) {
            writeFrame(out, 0x2, fin, new byte[frame.get("binaryLength").asInt()]);
        }
    }

    private static void writeFrame(OutputStream out, int opcode, boolean fin, byte[] payload) throws IOException {
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write((fin ? 0x80 : 0) | opcode);
        if (payload.length < 126) {
            frame.write(0x80 | payload.length);
        } else if (payload.length < 65536) {
            frame.write(0x80 | 126);
            frame.write(payload.length >> 8);
            frame.write(payload.length & 0xFF);
        } else {
            frame.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                frame.write((int) ((long) payload.length >> shift) & 0xFF);
            }
        }
        byte[] mask = new byte[4];
        new SecureRandom().nextBytes(mask);
        frame.write(mask, 0, 4);
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ mask[i % 4]);
        }
        try {
            out.write(frame.toByteArray());
            out.flush();
        } catch (IOException closedMidway) {
            // the server may close while a large frame is still going out: its close frame says why
        }
    }

    private static Frame readFrame(InputStream in) throws IOException {
        int b0 = readByte(in);
        int b1 = readByte(in);
        long length = b1 & 0x7F;
        if (length == 126) {
            length = (readByte(in) << 8) | readByte(in);
        } else if (length == 127) {
            length = 0;
            for (int i = 0; i < 8; i++) {
                length = (length << 8) | readByte(in);
            }
        }
        byte[] payload = in.readNBytes((int) length);
        if (payload.length < length) {
            throw new IOException("cut frame");
        }
        return new Frame(b0 & 0x0F, payload);
    }

    private static int readByte(InputStream in) throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new IOException("connection closed");
        }
        return b;
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            head.write(readByte(in));
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    // ---- placeholders and bytes ---------------------------------------------------------------------------------

    private static Map<String, String> vars(Case c, Target target) {
        Map<String, String> vars = new LinkedHashMap<>(target.fixtures());
        long unique = UNIQUE.incrementAndGet();
        vars.put("host", target.host() + ":" + target.port());
        vars.put("email", "corpus-" + unique + "@example.org");
        vars.put("key", "corpus-key-" + unique);
        vars.put("room", "corpus-" + unique);
        return vars;
    }

    /** ${name} from VARS; ${repeat:N:TEXT} is TEXT N times (a long URL, a large body). */
    static String expand(String template, Map<String, String> vars) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value;
            if (m.group(1).equals("repeat")) {
                value = m.group(3).repeat(Integer.parseInt(m.group(2)));
            } else {
                value = vars.get(m.group(1));
                if (value == null) {
                    throw new IllegalArgumentException("no value for ${" + m.group(1) + "}");
                }
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** TEXT as UTF-8, except that each \xHH is the raw byte HH: how the corpus writes bytes that are not UTF-8. */
    static byte[] bytes(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int from = 0;
        for (int i = text.indexOf("\\x"); i >= 0; i = text.indexOf("\\x", from)) {
            write(out, text.substring(from, i).getBytes(StandardCharsets.UTF_8));
            out.write(Integer.parseInt(text.substring(i + 2, i + 4), 16));
            from = i + 4;
        }
        write(out, text.substring(from).getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private static void write(ByteArrayOutputStream out, byte[] bytes) {
        out.write(bytes, 0, bytes.length);
    }
}
