package org.acme.balance.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.acme.balance.scenario.LoadGenerator.Sample;
import org.junit.jupiter.api.Test;

/** The failure contract's rule for creates without a key while a service instance fails (ScenarioRun.statusViolations). */
class ServiceFailureRulesTest {

    private static Sample create(int status, boolean problemJson, boolean retryAfter) {
        return new Sample(0, 10, "POST", status, "users-backend-2", null, problemJson, retryAfter, "a@example.org", 1, false, null);
    }

    private static List<String> violations(Sample... failed) {
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            samples.add(create(201, false, false));
            samples.add(new Sample(0, 10, "POST", 201, "users-backend-1", null, false, false, "k@example.org", 2, true, null));
        }
        samples.addAll(List.of(failed));
        return ScenarioRun.statusViolations(Scenario.FREEZE_SERVICE, "users-backend-2", samples);
    }

    @Test
    void aThawedInstancesOwn503IsAllowed() {
        assertEquals(List.of(), violations(create(503, true, true), create(504, false, false)));
    }

    @Test
    void a503WithoutProblemOrRetryAfterIsNot() {
        assertTrue(violations(create(503, false, false)).stream().anyMatch(v -> v.contains("problem+json with Retry-After")));
    }

    @Test
    void otherStatusesAndTooManyFailuresAreNot() {
        assertTrue(violations(create(500, true, false)).stream().anyMatch(v -> v.startsWith("creates without a key")));
        Sample[] many = new Sample[5];
        java.util.Arrays.fill(many, create(504, false, false));
        assertTrue(violations(many).stream().anyMatch(v -> v.contains("5 creates failed")));
    }
}
