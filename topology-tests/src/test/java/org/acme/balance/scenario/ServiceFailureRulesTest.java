package org.acme.balance.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.acme.balance.scenario.LoadGenerator.Sample;
import org.junit.jupiter.api.Test;

/** The failure contract's rules for creates while a service instance fails (ScenarioRun.statusViolations). */
class ServiceFailureRulesTest {

    private static Sample create(int status, boolean keyed) {
        return new Sample(0, 10, "POST", status, "users-backend-2", null, status >= 400, status == 503, "a@example.org", 1,
                keyed, null);
    }

    private static List<String> violations(Sample... failed) {
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            samples.add(create(201, false));
            samples.add(create(201, true));
        }
        samples.addAll(List.of(failed));
        return ScenarioRun.statusViolations(Scenario.FREEZE_SERVICE, "users-backend-2", samples);
    }

    @Test
    void aCreateWithoutAKeyInFlightMayFailAtTheGateway() {
        assertEquals(List.of(), violations(create(502, false), create(504, false)));
    }

    /**
     * The instance's own 503 is not allowed: a create whose transaction PostgreSQL ended while the instance was frozen
     * runs again on the instance once thawed (WriteRetry), and a keyed one nginx resends after its timeout.
     */
    @Test
    void anInstancesOwn503IsNot() {
        assertTrue(violations(create(503, false)).stream().anyMatch(v -> v.startsWith("creates without a key")));
        assertTrue(violations(create(503, true)).stream().anyMatch(v -> v.startsWith("creates with an Idempotency-Key")));
    }

    @Test
    void otherStatusesAndTooManyFailuresAreNot() {
        assertTrue(violations(create(500, false)).stream().anyMatch(v -> v.startsWith("creates without a key")));
        Sample[] many = new Sample[5];
        java.util.Arrays.fill(many, create(504, false));
        assertTrue(violations(many).stream().anyMatch(v -> v.contains("5 creates failed")));
    }
}
