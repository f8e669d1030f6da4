package org.acme.balance.soak;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.acme.balance.topology.LocalTopology;

/**
 * Measures one service instance of the local runner: the PID from its pidfile ($BALANCE_HOME/run/NODE.pid, checked to
 * be a java process, as the runner does), RSS, threads and file descriptors from /proc, and the heap after GC from
 * its management port's /q/metrics.
 *
 * <p>With the runner's -XX:+UseSerialGC and 128 MB heap, a full GC is rare (none in a 20 s demo), and Micrometer's
 * jvm_gc_live_data_size_bytes is only set by one: it would stay 0, or days old. So the probe asks the JVM for a full GC
 * first ({@code jcmd PID GC.run}, tens of ms on this heap), then reads the gauge once Micrometer has counted that GC.
 */
final class InstanceProbe {

    private static final Pattern LIVE = Pattern.compile("(?m)^jvm_gc_live_data_size_bytes(?:\\{[^}]*\\})? ([0-9.eE+-]+)$");
    private static final Pattern MAJOR = Pattern.compile(
            "(?m)^jvm_gc_pause_seconds_count\\{[^}]*action=\"end of major GC\"[^}]*\\} ([0-9.eE+-]+)$");

    private final LocalTopology topology;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    InstanceProbe(LocalTopology topology) {
        this.topology = topology;
    }

    /** The instance's measures now; empty when it does not run (killed, starting). */
    Optional<ResourceSample.Instance> measure(String node) {
        Optional<Long> pid = pid(node);
        if (pid.isEmpty()) {
            return Optional.empty();
        }
        Path proc = Path.of("/proc", String.valueOf(pid.get()));
        try {
            Map<String, String> status = status(proc);
            long rss = kib(status.get("VmRSS"));
            int threads = Integer.parseInt(status.getOrDefault("Threads", "-1").trim());
            int fds;
            try (Stream<Path> open = Files.list(proc.resolve("fd"))) {
                fds = (int) open.count();
            }
            long heap = heapAfterFullGc(node, pid.get());
            return Optional.of(new ResourceSample.Instance(pid.get(), rss, heap, threads, fds));
        } catch (IOException | RuntimeException gone) {
            return Optional.empty(); // it ended while we looked
        }
    }

    /** The PID the runner recorded for NODE, when that process is still a java one (a stale pidfile names another). */
    Optional<Long> pid(String node) {
        try {
            long pid = Long.parseLong(Files.readAllLines(topology.home().resolve("run").resolve(node + ".pid")).get(0).trim());
            String comm = Files.readString(Path.of("/proc", String.valueOf(pid), "comm")).trim();
            String state = Files.readString(Path.of("/proc", String.valueOf(pid), "stat")).replaceFirst("^.*\\) ", "");
            return "java".equals(comm) && !state.startsWith("Z") ? Optional.of(pid) : Optional.empty();
        } catch (IOException | RuntimeException none) {
            return Optional.empty();
        }
    }

    private long heapAfterFullGc(String node, long pid) {
        try {
            double majorBefore = major(metrics(node));
            if (!fullGc(pid)) {
                return -1;
            }
            // Micrometer learns of the GC from a JMX notification, on a thread of its own: wait until it has counted it
            for (int attempt = 0; attempt < 20; attempt++) {
                String metrics = metrics(node);
                if (major(metrics) > majorBefore) {
                    Matcher live = LIVE.matcher(metrics);
                    return live.find() ? Math.round(Double.parseDouble(live.group(1))) : -1;
                }
                Thread.sleep(100);
            }
            return -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private String metrics(String node) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(topology.management(node, "/q/metrics"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("metrics of " + node + ": " + response.statusCode());
        }
        return response.body();
    }

    private static double major(String metrics) {
        double sum = 0;
        Matcher m = MAJOR.matcher(metrics);
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return sum;
    }

    /** jcmd PID GC.run, with the jcmd of the JDK the instance runs on (any jcmd of 17 or later attaches, too). */
    private static boolean fullGc(long pid) throws IOException, InterruptedException {
        String jcmd = "jcmd";
        try {
            Path sibling = Path.of("/proc", String.valueOf(pid), "exe").toRealPath().resolveSibling("jcmd");
            if (Files.isExecutable(sibling)) {
                jcmd = sibling.toString();
            }
        } catch (IOException gone) {
            return false;
        }
        Process process = new ProcessBuilder(jcmd, String.valueOf(pid), "GC.run").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return false;
        }
        return process.exitValue() == 0;
    }

    private static Map<String, String> status(Path proc) throws IOException {
        Map<String, String> fields = new HashMap<>();
        for (String line : Files.readAllLines(proc.resolve("status"))) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
            }
        }
        return fields;
    }

    private static long kib(String value) {
        return value == null ? -1 : Long.parseLong(value.replace("kB", "").trim());
    }
}
