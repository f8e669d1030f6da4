package org.acme.balance.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StartTimelineTest {

    @TempDir
    Path dir;

    private Results results(String... lines) throws IOException {
        Path file = dir.resolve("results.tsv");
        Files.writeString(file, String.join("\n", lines) + "\n");
        return Results.read(file);
    }

    @Test
    void theRowsAddUpToTheTimeToTheFirst200() throws IOException {
        // exec -> first 200: 5,000 ms; Quarkus listening at 4,200 ms after exec, "started in" 3,800 ms; 12 steps of
        // 300 ms (3,600 ms): the JVM before Quarkus' clock 400, between the steps 200, the first request 800
        String steps = IntStream.rangeClosed(1, 12).mapToObj(i -> "jdk.25.timeline.step\tStep" + i + ".run\t300")
                .collect(Collectors.joining("\n"));
        Results results = results("jdk.25.timeline.total\t5000", "jdk.25.timeline.listening\t4200",
                "jdk.25.timeline.started-in\t3800", steps);
        String section = StartTimeline.section(results, "25", "JDK 25").orElseThrow();
        assertTrue(section.contains("| the JVM, before Quarkus' own clock | 400 | 8% |"), section);
        assertTrue(section.contains("| step Step1.run | 300 | 6% |"), section);
        assertTrue(section.contains("| the other 2 steps | 600 | 12% |"), section);
        assertTrue(section.contains("| between the steps | 200 | 4% |"), section);
        assertTrue(section.contains("| the first request | 800 | 16% |"), section);
        assertTrue(section.contains("| **total** | **5000** | 100% |"), section);
        // 10 step rows, the largest first
        assertEquals(10, section.lines().filter(l -> l.startsWith("| step ")).count(), section);
    }

    @Test
    void aRunWithoutATimelineHasNoSection() throws IOException {
        assertEquals(Optional.empty(), StartTimeline.section(results("jdk.25.start.cache\t5000"), "25", "JDK 25"));
    }
}
