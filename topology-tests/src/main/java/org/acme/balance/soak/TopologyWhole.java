package org.acme.balance.soak;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.acme.balance.topology.LocalTopology;
import org.acme.balance.topology.Topology;

/**
 * Whether the topology is whole, as the runner sees it: every node up in {@code ./balance status}, both members of
 * service-db ready (the runner's member_ready: {@code ./balance start MEMBER} on a running member waits for it), HAProxy
 * with a leader to write to and the replica to read from, the replica's subscription applying, and every instance
 * ready on its management port. Applying: an apply worker runs, and every instance measures the replica's lag (its
 * heartbeat, GET /db) under {@value #MAX_LAG_S} s; an apply worker that a conflict stops again each second shows in
 * the status now and then, the lag does not hide it.
 */
final class TopologyWhole {

    static final double MAX_LAG_S = 5;
    private static final Pattern LAG = Pattern.compile("\"lagSeconds\":([0-9.eE+-]+)");
    private static final Pattern NODE_ROW = Pattern.compile("(?m)^(\\S+)\\s+(\\S+)\\s+(up|frozen|down)\\s");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final LocalTopology topology;

    TopologyWhole(LocalTopology topology) {
        this.topology = topology;
    }

    /** What is not whole now; empty when all is. */
    List<String> missing() {
        List<String> missing = new ArrayList<>();
        String status;
        try {
            status = topology.run("status");
        } catch (RuntimeException e) {
            return List.of("./balance status failed: " + e.getMessage());
        }
        Matcher row = NODE_ROW.matcher(status);
        List<String> instances = new ArrayList<>();
        List<String> up = new ArrayList<>();
        while (row.find()) {
            if ("up".equals(row.group(3))) {
                up.add(row.group(1));
            } else {
                missing.add(row.group(1) + " " + row.group(3));
            }
            if (row.group(1).startsWith("users-backend-")) {
                instances.add(row.group(1));
            }
        }
        if (instances.isEmpty()) {
            missing.add("no node table in ./balance status");
        }
        for (String member : Topology.MEMBERS) {
            // on a running member, `start` waits until it leads or is a standby ready to take over (the runner's
            // member_ready, up to 120 s) and fails otherwise; on a member that is down it would start it: not here
            if (up.contains(member) && !memberReady(member)) {
                missing.add(member + " not ready (leading, or a standby streaming with the slot's copy)");
            }
        }
        if (!Pattern.compile("(?m)^\\s+write\\s+service-db-\\d+\\s+UP\\s").matcher(status).find()) {
            missing.add("HAProxy has no leader to write to");
        }
        if (!Pattern.compile("(?m)^\\s+read\\s+service-db-replica\\s+UP\\s").matcher(status).find()) {
            missing.add("HAProxy does not read from service-db-replica");
        }
        boolean applying = Pattern.compile("subscription users_sub enabled, apply worker \\d+").matcher(status).find();
        for (String instance : instances) {
            if (!ready(instance)) {
                missing.add(instance + " not ready");
            } else {
                double lag = lagSeconds(instance);
                if (!(lag < MAX_LAG_S)) {
                    applying = false;
                    missing.add(instance + " sees the replica " + (Double.isNaN(lag) ? "without a lag" : lag + " s") + " behind");
                }
            }
        }
        if (!applying) {
            missing.add("the replica's subscription is not applying" + replicaError());
        }
        return missing;
    }

    /** The replica's lag as INSTANCE measures it (GET /db); NaN when it does not say. */
    private double lagSeconds(String instance) {
        try {
            HttpResponse<String> db = HTTP.send(HttpRequest.newBuilder(topology.instance(instance, "/db"))
                    .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
            Matcher lag = LAG.matcher(db.body());
            return db.statusCode() == 200 && lag.find() ? Double.parseDouble(lag.group(1)) : Double.NaN;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return Double.NaN;
        }
    }

    /** The last error of the replica's log and its detail (why the apply worker stops), or nothing. */
    private String replicaError() {
        try {
            List<String> lines = topology.run("logs", Topology.REPLICA).lines().toList();
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (lines.get(i).contains("ERROR:")) {
                    String detail = i + 1 < lines.size() && lines.get(i + 1).contains("DETAIL:") ? " " + lines.get(i + 1) : "";
                    return " (the replica's log: " + lines.get(i).replaceFirst("^.*ERROR:\\s*", "") + detail.replaceFirst(
                            "^.*DETAIL:\\s*", " ") + ")";
                }
            }
        } catch (RuntimeException e) {
            // no log to show
        }
        return "";
    }

    /** Waits until the topology is whole, at most TIMEOUT (give or take a member's wait). What was still missing: empty when whole. */
    List<String> await(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<String> missing = missing();
            if (missing.isEmpty() || System.nanoTime() > deadline) {
                return missing;
            }
            Thread.sleep(500);
        }
    }

    private boolean memberReady(String member) {
        try {
            topology.start(member);
            return true;
        } catch (RuntimeException notYet) {
            return false;
        }
    }

    private boolean ready(String instance) {
        try {
            return HTTP.send(HttpRequest.newBuilder(topology.management(instance, "/q/health/ready"))
                    .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return false;
        }
    }
}
