package org.acme.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The corpus runner exists twice (users-service and topology-tests share no test code): the copies must not drift. */
class CorpusCopiesTest {

    static final Path HERE = Path.of("src/test/java/org/acme/hostile/HostileCorpus.java");
    static final Path THERE = Path.of("../topology-tests/src/test/java/org/acme/hostile/HostileCorpus.java");

    @Test
    void theTwoCopiesOfTheRunnerAreTheSame() throws Exception {
        assertEquals(Files.readString(HERE), Files.readString(THERE), "copy " + HERE + " over " + THERE);
    }

    @Test
    void theCorpusHasEnoughCasesEachWithAnExpectation() throws Exception {
        List<HostileCorpus.Case> cases = HostileCorpus.load(Path.of("src/test/resources/hostile/corpus.json"));
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
