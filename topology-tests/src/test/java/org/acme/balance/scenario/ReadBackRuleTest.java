package org.acme.balance.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.acme.balance.scenario.LoadGenerator.Sample;
import org.junit.jupiter.api.Test;

/** The failure contract's read-your-writes rule (ScenarioRun.readBackViolations): every acknowledged create read back. */
class ReadBackRuleTest {

    private static Sample sample(String method, int status) {
        return new Sample(0, 10, method, status, "users-backend-1", null, status >= 400, status == 503, "a@example.org", 1,
                false, null);
    }

    /** CREATES creates answered with STATUS, the first READ_BACK of them read back with their token. */
    private static List<Sample> run(int creates, int status, int readBack) {
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < creates; i++) {
            samples.add(sample("POST", status));
            if (i < readBack) {
                samples.add(sample(LoadGenerator.OWN_READ, 200));
            }
        }
        return samples;
    }

    @Test
    void everyAcknowledgedCreateReadBackHolds() {
        assertEquals(List.of(), ScenarioRun.readBackViolations(run(40, 201, 40)));
        // refused creates are not read back: only the acknowledged ones count
        List<Sample> samples = run(40, 201, 40);
        samples.addAll(run(10, 503, 0));
        assertEquals(List.of(), ScenarioRun.readBackViolations(samples));
    }

    @Test
    void oneAcknowledgedCreateNotReadBackIsAViolation() {
        assertEquals(List.of("writers read back every acknowledged create: 39 of 40"),
                ScenarioRun.readBackViolations(run(40, 201, 39)));
    }

    @Test
    void tooFewCreatesToSayAnythingIsAViolation() {
        assertEquals(List.of("writers read back every acknowledged create: 29 of 29"),
                ScenarioRun.readBackViolations(run(29, 201, 29)));
    }
}
