package org.acme.balance.soak;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import org.acme.balance.topology.LocalTopology;
import org.acme.balance.topology.Topology;

/**
 * Records the topology's resources every EVERY ms on a thread of its own, from {@link #start()} until {@link #stop()}
 * (which takes one last sample): each instance's RSS, heap after GC, threads and descriptors; each PostgreSQL node's
 * connections.
 */
final class ResourceSampler {

    static final List<String> DATABASE_NODES = List.of(Topology.MEMBERS.get(0), Topology.MEMBERS.get(1), Topology.REPLICA);

    private final List<String> instances;
    private final InstanceProbe instanceProbe;
    private final NodeProbe nodeProbe;
    private final DoubleSupplier clock;
    private final long everyMs;
    private final List<ResourceSample> samples = Collections.synchronizedList(new ArrayList<>());
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "soak-sampler");
        thread.setDaemon(true);
        return thread;
    });

    ResourceSampler(LocalTopology topology, List<String> instances, DoubleSupplier clock, long everyMs) {
        this.instances = List.copyOf(instances);
        this.instanceProbe = new InstanceProbe(topology);
        this.nodeProbe = new NodeProbe(topology);
        this.clock = clock;
        this.everyMs = everyMs;
    }

    void start() {
        // fixed rate from the load's start: sample n at n * every (a slow sample delays the next, never skips it)
        timer.scheduleAtFixedRate(this::sample, 0, everyMs, TimeUnit.MILLISECONDS);
    }

    /** Stops sampling, then takes the last sample. */
    void stop() throws InterruptedException {
        timer.shutdown();
        timer.awaitTermination(60, TimeUnit.SECONDS);
        sample();
    }

    List<ResourceSample> samples() {
        synchronized (samples) {
            return List.copyOf(samples);
        }
    }

    private void sample() {
        try {
            measure();
        } catch (RuntimeException e) {
            // a sample that failed is missing from the table; the timer goes on (an exception would stop it)
            System.err.println("soak: a resource sample failed: " + e);
        }
    }

    private void measure() {
        double at = clock.getAsDouble();
        Map<String, ResourceSample.Instance> measured = new LinkedHashMap<>();
        for (String instance : instances) {
            instanceProbe.measure(instance).ifPresent(m -> measured.put(instance, m));
        }
        Map<String, ResourceSample.Node> nodes = new LinkedHashMap<>();
        for (String node : DATABASE_NODES) {
            nodeProbe.measure(node).ifPresent(m -> nodes.put(node, m));
        }
        samples.add(new ResourceSample(at, measured, nodes));
    }
}
