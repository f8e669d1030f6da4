package org.acme.users.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * One source for the connection budget's settings: infra/balance/budget.env, which the runner and compose read. The
 * service's defaults (application.properties, for a jar started by hand and for the tests) must say the same, and
 * compose must run as many instances as the file counts and give it to each of them.
 */
class BudgetSettingsTest {

    static final Path ROOT = Path.of(System.getProperty("balance.postgres", "../postgres")).toAbsolutePath().normalize()
            .getParent();

    @Test
    void theServicesDefaultsAreBudgetEnvsValues() throws IOException {
        Map<String, String> budget = budgetEnv();
        String properties = Files.readString(ROOT.resolve("users-service/src/main/resources/application.properties"));
        for (Map.Entry<String, String> setting : budget.entrySet()) {
            Matcher uses = Pattern.compile("\\$\\{" + setting.getKey() + ":([^}]*)}").matcher(properties);
            assertTrue(uses.find(), setting.getKey() + " is mapped in application.properties");
            do {
                assertEquals(setting.getValue(), uses.group(1), "the default of " + setting.getKey()
                        + " in application.properties is infra/balance/budget.env's value");
            } while (uses.find());
        }
    }

    @Test
    void composeRunsAsManyInstancesAsTheBudgetCountsAndGivesThemTheFile() throws IOException {
        Map<String, String> budget = budgetEnv();
        String compose = Files.readString(ROOT.resolve("docker-compose-balance.yml"));
        Matcher instances = Pattern.compile("(?m)^  users-backend-[0-9]+:$").matcher(compose);
        int count = 0;
        while (instances.find()) {
            count++;
        }
        assertEquals(Integer.parseInt(budget.get("USERS_BUDGET_INSTANCES")), count,
                "users-backend-N services in docker-compose-balance.yml, against USERS_BUDGET_INSTANCES");
        assertTrue(compose.contains("env_file: infra/balance/budget.env"), "compose reads infra/balance/budget.env");
        for (String setting : budget.keySet()) {
            assertFalse(compose.contains(setting), setting + " is set in budget.env only, not again in compose");
        }
    }

    static Map<String, String> budgetEnv() throws IOException {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String line : Files.readAllLines(ROOT.resolve("infra/balance/budget.env"))) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] pair = line.split("=", 2);
            assertEquals(2, pair.length, "NAME=value: " + line);
            assertTrue(pair[1].matches("[0-9]+"), "a number, no comment on the line (compose reads it): " + line);
            settings.put(pair[0], pair[1]);
        }
        assertFalse(settings.isEmpty());
        return settings;
    }
}
