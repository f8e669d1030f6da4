package org.acme.balance.soak;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.acme.balance.scenario.LoadGenerator.Sample;
import org.acme.balance.soak.FailureCycle.Injected;

/**
 * What a soak measured: every request of its HTTP load, its chat members, the failures it injected, the resources
 * sampled, and what the databases hold afterwards. Times are ms on the load's clock (0 = the load started).
 *
 * @param runFromMs      the end of the warm-up: the soak proper, whose quarters are compared, starts here
 * @param runToMs        the end of the soak proper: the last resource sample (later than planned when the last failure
 *                       was not over by then)
 * @param endMs          when the load stopped (its last requests, the chat's last acknowledgements)
 * @param onPrimary      email -> id of this run's users on the leader, afterwards
 * @param storedTwice    emails the leader holds more than once
 * @param onReplica      email -> id of this run's users on the replica, once it caught up (or the wait ended)
 * @param chatOnPrimary  "author key" -> ids of this run's chat messages with a key, on the leader
 * @param chatOnReplica  how many of this run's chat messages the replica holds
 * @param chatStored     how many of this run's chat messages the leader holds
 * @param notWholeAtEnd  what was missing of the topology after the run (empty: whole)
 * @param nginxServing   which instances served GET /host through nginx at the end
 * @param instances      the instances measured (users-backend-N), the last one nginx's backup
 * @param instancesJvm   what ./balance status says of the instances' JVM
 */
record SoakResult(SoakSettings settings, Instant started, String prefix, double runFromMs, double runToMs, double endMs,
        List<Sample> requests, ChatLoad chat, List<Injected> failures, List<ResourceSample> resources,
        Map<String, Long> onPrimary, List<String> storedTwice, Map<String, Long> onReplica,
        Map<String, List<Long>> chatOnPrimary, long chatStored, long chatOnReplica, List<String> notWholeAtEnd,
        Map<String, Integer> nginxServing, List<String> instances, String instancesJvm) {

    double runMs() {
        return runToMs - runFromMs;
    }
}
