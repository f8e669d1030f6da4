package org.acme.users.background;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.acme.users.chat.ChatListener;
import org.acme.users.config.UsersConfig;
import org.acme.users.consistency.PrimaryWal;
import org.acme.users.consistency.ReadRouter;
import org.acme.users.consistency.ReplicaStatus;
import org.jboss.logging.Logger;

/**
 * The instance's background work, in one place: the replication heartbeat on the primary, the replica prober and the
 * chat's listener. Each runs on a daemon thread of its own, so a node that hangs stalls only the work that talks to
 * it; all start when a serving instance starts (never on the one-shot migrator) and stop at its shutdown; a failure
 * nobody expected is logged and the work starts again after a pause, it never ends the thread.
 */
@ApplicationScoped
public class BackgroundWork {

    private static final Logger LOG = Logger.getLogger(BackgroundWork.class);
    private static final long RESTART_PAUSE_MILLIS = 1000;

    /** Work that goes on while RUNNING says so, and returns when it no longer does (or its thread is interrupted). */
    @FunctionalInterface
    public interface Loop {
        void run(BooleanSupplier running) throws InterruptedException;
    }

    @Inject
    PrimaryWal primary;

    @Inject
    ReplicaStatus replica;

    @Inject
    ReadRouter router;

    @Inject
    ChatListener chatListener;

    @Inject
    UsersConfig config;

    volatile boolean running;
    final List<Thread> threads = new CopyOnWriteArrayList<>();

    void start(@Observes StartupEvent event) {
        if (config.migration().exitWhenDone()) {
            return;
        }
        running = true;
        long heartbeatMillis = config.read().heartbeatInterval().toMillis();
        start("replication-heartbeat", running -> {
            while (running.getAsBoolean()) {
                primary.beat();
                Thread.sleep(heartbeatMillis);
            }
        });
        replica.onSample(router::logChange);
        start("replica-prober", replica::probe);
        start("chat-listener", chatListener::listen);
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        threads.forEach(Thread::interrupt);
    }

    void start(String name, Loop loop) {
        Thread thread = new Thread(() -> runUntilStopped(name, loop), name);
        thread.setDaemon(true);
        threads.add(thread);
        thread.start();
    }

    private void runUntilStopped(String name, Loop loop) {
        while (running) {
            try {
                loop.run(() -> running);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.errorf(e, "%s failed; it starts again in %d ms", name, RESTART_PAUSE_MILLIS);
                try {
                    Thread.sleep(RESTART_PAUSE_MILLIS);
                } catch (InterruptedException stopped) {
                    return;
                }
            }
        }
    }
}
