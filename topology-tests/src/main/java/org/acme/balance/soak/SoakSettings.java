package org.acme.balance.soak;

import java.time.Duration;
import java.util.Locale;

/**
 * How a soak of MINUTES runs. Long runs (10 minutes or more: {@code ./balance soak}, 30 by default) sample every minute
 * and fail a node every 3 minutes; short ones (the 2-minute SoakIT, a 5-minute try) every 10 s, and fail nodes as fast
 * as the topology becomes whole again (at most every fifth of the run), so that each kind of failure fits once in 2
 * minutes when the machine is not too busy (when the last does not, it is left out: the report lists those that ran).
 *
 * @param runMs          the soak proper, after the warm-up: its first and last quarters are compared
 * @param warmupMs       load before the soak proper (no failure): the instances' JIT and pools warm up first
 * @param sampleEveryMs  resources recorded this often
 * @param failureEveryMs a failure starts at most this often (and never before the topology is whole again)
 * @param firstFailureMs the first failure, from the start of the soak proper
 * @param settleMs       a failure's stretch lasts this long after the topology is whole again (nginx takes a failed
 *                       instance back after its 5 s fail_timeout), and the next failure waits for it
 * @param quietTailMs    no failure starts this close to the end
 * @param chatMembers    chat clients, each sending one message at a time
 * @param chatPauseMs    a chat client's pause after each acknowledged message
 * @param loadPause      each HTTP client's pause between requests (LoadGenerator)
 */
public record SoakSettings(double minutes, long runMs, long warmupMs, long sampleEveryMs, long failureEveryMs,
        long firstFailureMs, long settleMs, long quietTailMs, int chatMembers, long chatPauseMs, Duration loadPause) {

    /** Runs shorter than this are "short": samples every 10 s, failures back to back. */
    static final double LONG_RUN_MINUTES = 10;

    public static SoakSettings forMinutes(double minutes) {
        if (!(minutes > 0) || minutes > 24 * 60) {
            throw new IllegalArgumentException("minutes: more than 0, at most a day: " + minutes);
        }
        long runMs = Math.round(minutes * 60_000);
        if (minutes < LONG_RUN_MINUTES) {
            // 2 minutes hold the four kinds once on a quiet 2-core machine (a leader killed takes ~40 s to be whole
            // again, the others ~20 s): the first 5 s in, each 5 s after the one before is whole (nginx's fail_timeout)
            return new SoakSettings(minutes, runMs, 20_000, 10_000, Math.max(20_000, runMs / 5), 5_000, 5_000, 15_000,
                    4, 500, Duration.ofMillis(25));
        }
        return new SoakSettings(minutes, runMs, 60_000, 60_000, 180_000, 90_000, 10_000, 120_000, 4, 500,
                Duration.ofMillis(25));
    }

    public boolean isShort() {
        return minutes < LONG_RUN_MINUTES;
    }

    public String describe() {
        return String.format(Locale.ROOT, "%s min after a %d s warm-up; resources every %d s; a failure at most every %d s"
                + " (the first %d s in, none in the last %d s), each only once the topology is whole again and %d s more;"
                + " HTTP clients pause %d ms between requests; %d chat clients, %d ms after each acknowledged message",
                minutesText(minutes), warmupMs / 1000, sampleEveryMs / 1000, failureEveryMs / 1000, firstFailureMs / 1000,
                quietTailMs / 1000, settleMs / 1000, loadPause.toMillis(), chatMembers, chatPauseMs);
    }

    static String minutesText(double minutes) {
        return minutes == Math.rint(minutes) ? String.valueOf((long) minutes) : String.valueOf(minutes);
    }
}
