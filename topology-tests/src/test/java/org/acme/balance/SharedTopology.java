package org.acme.balance;

import java.nio.file.Path;
import java.util.Map;
import org.acme.balance.topology.LocalTopology;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One local topology for every test class that asks for it ({@code @ExtendWith(SharedTopology.class)}), started
 * by the runner as a person would ({@code ./balance up}, ports + {@value #PORT_OFFSET}) before the first of them and
 * stopped after the last one, its logs kept in target/logs/balance-it. Starting it once saves a minute per class;
 * the classes leave every node running when they finish.
 */
public final class SharedTopology implements BeforeAllCallback {

    static final Path ROOT = Path.of(System.getProperty("balance.root", "..")).toAbsolutePath().normalize();
    /**
     * Ports 18080 (nginx), 18081-18083, 15000/15001, 17000, 25432/25433: never a developer's own topology, and
     * below Linux's ephemeral range (32768+), where a busy client's outgoing connection may hold a port first.
     * {@code -Dbalance.it.port-offset=20000} moves it, for a second checkout's suites running beside the first.
     */
    static final int PORT_OFFSET = Integer.getInteger("balance.it.port-offset", 10000);
    /** The runner's state directory (BALANCE_HOME): logs, pidfiles, secrets. */
    static final Path HOME = ROOT.resolve("topology-tests/target/balance-it");

    private static LocalTopology balance;

    /** The running topology: call from a class extended with this one. */
    public static LocalTopology balance() {
        if (balance == null) {
            throw new IllegalStateException("annotate the test class with @ExtendWith(SharedTopology.class)");
        }
        return balance;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL).getOrComputeIfAbsent(SharedTopology.class,
                key -> start(), Running.class);
    }

    private static Running start() {
        LocalTopology started = new LocalTopology(ROOT, HOME, PORT_OFFSET, Map.of());
        started.down(true); // whatever an earlier run left
        try {
            started.up();
        } catch (RuntimeException e) {
            // no half-started topology left running (a port taken, say): stop what did start, keep its logs
            started.downKeepingLogs(ROOT.resolve("topology-tests/target/logs/balance-it"));
            throw e;
        }
        balance = started;
        return new Running();
    }

    /** Closed by JUnit once every test class has run. */
    static final class Running implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            balance.downKeepingLogs(ROOT.resolve("topology-tests/target/logs/balance-it"));
            balance = null;
        }
    }
}
