package org.acme.users.background;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BackgroundWorkTest {

    @Test
    void workThatFailsStartsAgainAndStopsWithTheInstance() throws Exception {
        BackgroundWork work = new BackgroundWork();
        work.running = true;
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch secondRun = new CountDownLatch(1);
        work.start("test-work", running -> {
            if (runs.incrementAndGet() == 1) {
                throw new IllegalStateException("a failure nobody expected");
            }
            secondRun.countDown();
            while (running.getAsBoolean()) {
                Thread.sleep(10);
            }
        });
        assertTrue(secondRun.await(5, TimeUnit.SECONDS), "the work ran again after its failure");
        Thread thread = work.threads.get(0);
        assertEquals("test-work", thread.getName());
        assertTrue(thread.isDaemon(), "no background thread holds the JVM up");

        work.stop(null);
        thread.join(TimeUnit.SECONDS.toMillis(5));
        assertFalse(thread.isAlive(), "the work stopped with the instance");
        assertEquals(2, runs.get(), "not started again once stopped");
    }
}
