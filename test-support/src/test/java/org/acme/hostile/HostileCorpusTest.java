package org.acme.hostile;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The corpus itself: enough cases, each well formed, the issue's examples among them. */
class HostileCorpusTest {

    @Test
    void theCorpusHasEnoughCasesEachWithAnExpectation() throws Exception {
        List<HostileCorpus.Case> cases = HostileCorpus.load();
        Set<String> ids = new HashSet<>();
        for (HostileCorpus.Case c : cases) {
            assertTrue(ids.add(c.id()), "twice: " + c.id());
            assertTrue((c.http() == null) != (c.ws() == null), c.id() + ": http or ws");
            assertTrue(c.expect() != null && c.expect().size() > 0, c.id() + ": no expectation");
            assertTrue(Set.of("both", "nginx", "instance").contains(c.via()), c.id() + ": via " + c.via());
        }
        assertTrue(cases.size() >= 150, "at least 150 cases: " + cases.size());
        assertTrue(cases.stream().filter(c -> c.ws() != null).count() >= 30, "WebSocket cases");
        assertTrue(cases.stream().filter(HostileCorpus.Case::issue).count() >= 40, "the issue's examples");
    }
}
