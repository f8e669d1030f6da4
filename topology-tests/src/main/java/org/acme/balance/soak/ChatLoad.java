package org.acme.balance.soak;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import org.acme.balance.topology.LocalTopology;
import org.acme.testing.ChatClient;

/**
 * The soak's chat: MEMBERS clients in one room of their own, each posting one message at a time (ChatMember). The
 * first ones connect straight to one instance each, so that every instance relays and a message crosses instances
 * (LISTEN/NOTIFY on the primary); the rest go through nginx, as the chat page does.
 */
final class ChatLoad {

    final String room;
    final List<ChatMember> members = new ArrayList<>();
    private final ExecutorService threads;

    /** Connects every member (before any sends, so each sees the room from its first message). */
    ChatLoad(LocalTopology topology, List<String> instances, String room, int count, long pauseMs, DoubleSupplier clock)
            throws Exception {
        this.room = room;
        for (int i = 0; i < count; i++) {
            URI base = i < instances.size() ? topology.instance(instances.get(i), "") : topology.api("");
            ChatClient client = new ChatClient(room, "soak-" + (i + 1)).connect(base);
            members.add(new ChatMember(client, base, clock, pauseMs));
        }
        threads = Executors.newFixedThreadPool(count, r -> {
            Thread thread = new Thread(r, "soak-chat");
            thread.setDaemon(true);
            return thread;
        });
    }

    void start() {
        members.forEach(threads::execute);
    }

    /**
     * No new messages; the ones in flight get up to GRACE_MS to be acknowledged (resent after a 503); then every member
     * stops and closes its socket.
     */
    void stop(long graceMs) throws InterruptedException {
        members.forEach(ChatMember::stopSending);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMs);
        while (System.nanoTime() < deadline && !members.stream().allMatch(ChatMember::idle)) {
            Thread.sleep(100);
        }
        members.forEach(ChatMember::stop);
        threads.shutdown();
        threads.awaitTermination(30, TimeUnit.SECONDS);
        for (ChatMember member : members) {
            try {
                member.client.settle(500); // what was still on its way: the delivery check counts it
            } catch (RuntimeException ignored) {
                // nothing more to take
            }
            member.client.close();
        }
    }
}
