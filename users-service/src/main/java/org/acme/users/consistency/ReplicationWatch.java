package org.acme.users.consistency;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.acme.users.config.UsersConfig;

/**
 * Starts what keeps the read path honest on a serving instance (not on the one-shot migrator): the heartbeat on
 * the primary and the replica prober, each on a thread of its own, so a hung node stalls only its own side.
 */
@ApplicationScoped
public class ReplicationWatch {

    @Inject
    PrimaryWal primary;

    @Inject
    ReplicaStatus replica;

    @Inject
    ReadRouter router;

    @Inject
    UsersConfig config;


    private ScheduledExecutorService heartbeat;

    void start(@Observes StartupEvent event) {
        if (config.migration().exitWhenDone()) {
            return;
        }
        heartbeat = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "replication-heartbeat");
            thread.setDaemon(true);
            return thread;
        });
        long interval = config.read().heartbeatInterval().toMillis();
        heartbeat.scheduleWithFixedDelay(primary::beat, 0, interval, TimeUnit.MILLISECONDS);
        replica.onSample(router::logChange);
        replica.start();
    }

    void stop(@Observes ShutdownEvent event) {
        if (heartbeat != null) {
            heartbeat.shutdownNow();
        }
        replica.stop();
    }
}
