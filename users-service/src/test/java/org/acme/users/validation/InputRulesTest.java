package org.acme.users.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Optional;
import org.acme.users.problem.InvalidInputException;
import org.junit.jupiter.api.Test;

/** The documented rules at their edges (docs/security.md); the corpus covers the refusals end to end. */
class InputRulesTest {

    @Test
    void emailLimitsAreRfc5321s() {
        String local64 = "l".repeat(64);
        String label63 = "d".repeat(63);
        String domain253 = label63 + "." + label63 + "." + label63 + "." + "e".repeat(61); // 253 characters
        assertEquals(253, domain253.length());
        assertNull(MailboxValidator.problem(local64 + "@example.org"));
        assertNotNull(MailboxValidator.problem("l".repeat(65) + "@example.org"));
        assertNull(MailboxValidator.problem("x@" + label63 + ".org"));
        assertNotNull(MailboxValidator.problem("x@" + "d".repeat(64) + ".org"));
        String address254 = "l".repeat(254 - 1 - 240) + "@" + label63 + "." + label63 + "." + label63 + "." + "e".repeat(48);
        assertEquals(254, address254.length());
        assertNull(MailboxValidator.problem(address254));
        assertNotNull(MailboxValidator.problem("l" + address254));
        assertNull(MailboxValidator.problem("  ada@example.org  "), "surrounding blanks are trimmed, as when stored");
        assertNull(MailboxValidator.problem("a.b-c+d@x-y.example"));
        assertNotNull(MailboxValidator.problem("a..b@example.org"));
        assertNotNull(MailboxValidator.problem("a@example.123"));
    }

    @Test
    void namesAreCountedInCodePoints() {
        assertNull(PersonNameValidator.problem("😀".repeat(100)));
        assertNotNull(PersonNameValidator.problem("😀".repeat(101)));
        assertNull(PersonNameValidator.problem("  Ada  "), "trimmed first");
        assertNull(PersonNameValidator.problem("e\u0301"), "a letter with a combining accent");
        assertNotNull(PersonNameValidator.problem("\u0301"), "a combining mark alone");
        assertNull(PersonNameValidator.problem("👩\u200d💻"), "a joiner inside an emoji sequence");
        assertNotNull(PersonNameValidator.problem("\ud800"));
        assertNull(PersonNameValidator.problem("x".repeat(64), 64));
        assertNotNull(PersonNameValidator.problem("x".repeat(65), 64));
    }

    @Test
    void anIdempotencyKeyIsOneHeaderOfVisibleAsciiWithoutComma() {
        assertEquals(Optional.empty(), IdempotencyKeys.from(null));
        assertEquals(Optional.empty(), IdempotencyKeys.from(List.of()));
        assertEquals(Optional.of("k-1"), IdempotencyKeys.from(List.of("k-1")));
        assertEquals(Optional.of("~".repeat(255)), IdempotencyKeys.from(List.of("~".repeat(255))));
        for (List<String> bad : List.of(List.of(""), List.of("a", "b"), List.of("a,b"), List.of("x".repeat(256)),
                List.of("a b"), List.of("é"))) {
            assertThrows(InvalidInputException.class, () -> IdempotencyKeys.from(bad), bad.toString());
        }
    }
}
