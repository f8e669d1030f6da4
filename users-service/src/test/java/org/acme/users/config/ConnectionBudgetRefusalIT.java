package org.acme.users.config;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The packaged artifact (the jar, or the native executable with -Dnative) refuses to start when the connection budget
 * does not hold, naming the settings, and without a database: the nodes' addresses here lead nowhere. The same
 * artifact with the budget's own defaults starts (and only then tries the databases).
 */
class ConnectionBudgetRefusalIT {

    static final Path TARGET = Path.of("target").toAbsolutePath();
    /** Nothing listens there: a start that needed a database would fail on it, not on the budget. */
    static final String NOWHERE = "jdbc:postgresql://127.0.0.1:9/users";

    @Test
    void tenInstancesOfTheDefaultPoolsAreRefusedBeforeAnyConnection() throws Exception {
        Path log = Files.createTempFile("budget-refusal-", ".log");
        Process process = start(Map.of("USERS_BUDGET_INSTANCES", "10"), log);
        try {
            assertTrue(process.waitFor(90, TimeUnit.SECONDS), "the refused instance exits:\n" + Files.readString(log));
        } finally {
            process.destroyForcibly(); // one that started anyway
        }
        String output = Files.readString(log);
        assertNotEquals(0, process.exitValue(), output);
        for (String named : List.of("connection budget exceeded", "10 instances (USERS_BUDGET_INSTANCES)",
                "USERS_WRITE_POOL_MAX_SIZE", "USERS_READ_PRIMARY_POOL_MAX_SIZE", "USERS_READ_POOL_MAX_SIZE",
                "USERS_BUDGET_PRIMARY_MAX_CONNECTIONS", "USERS_BUDGET_PRIMARY_RESERVED")) {
            assertTrue(output.contains(named), "the refusal names " + named + ":\n" + output);
        }
        assertTrue(!output.contains("Listening on"), "no port opened:\n" + output);
        Files.deleteIfExists(log);
    }

    @Test
    void theDefaultsHold() throws Exception {
        Path log = Files.createTempFile("budget-holds-", ".log");
        Process process = start(Map.of(), log);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!Files.readString(log).contains("connection budget holds") && process.isAlive()
                    && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertTrue(Files.readString(log).contains("connection budget holds"), Files.readString(log));
        } finally {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        Files.deleteIfExists(log);
    }

    private static Process start(Map<String, String> settings, Path log) throws IOException {
        List<String> command = new ArrayList<>();
        Path jar = TARGET.resolve("quarkus-app/quarkus-run.jar");
        Path nativeRunner = Path.of(System.getProperty("native.image.path", TARGET.resolve("none").toString()));
        if (Files.isExecutable(nativeRunner)) {
            command.add(nativeRunner.toString());
        } else {
            assertTrue(Files.exists(jar), "packaged: " + jar);
            command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString()));
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(name -> name.startsWith("USERS_") || name.startsWith("QUARKUS_"));
        env.put("USERS_INSTANCE_NAME", "budget-check");
        env.put("USERS_HTTP_HOST", "127.0.0.1");
        env.put("USERS_HTTP_PORT", "0");
        env.put("USERS_MANAGEMENT_HOST", "127.0.0.1");
        env.put("USERS_MANAGEMENT_PORT", "0");
        env.put("USERS_WRITE_JDBC_URL", NOWHERE);
        env.put("USERS_READ_JDBC_URL", NOWHERE);
        env.putAll(settings);
        return builder.start();
    }
}
