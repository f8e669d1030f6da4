package org.acme.users.validation;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.acme.users.problem.InvalidInputException;

/**
 * The {@code Idempotency-Key} header: absent, or exactly once with 1 to 255 visible ASCII characters other than the
 * comma. Empty or repeated is a client error, not "no key": silently creating without idempotency would turn the
 * client's retry into a duplicate. (A comma would make one header indistinguishable from two joined by a proxy.)
 */
public final class IdempotencyKeys {

    public static final String HEADER = "Idempotency-Key";
    private static final Pattern VALID = Pattern.compile("[\\x21-\\x2b\\x2d-\\x7e]{1,255}");

    private IdempotencyKeys() {
    }

    public static Optional<String> from(List<String> values) {
        if (values == null || values.isEmpty()) {
            return Optional.empty();
        }
        if (values.size() > 1) {
            throw new InvalidInputException(HEADER, "must be sent at most once");
        }
        String key = values.get(0);
        if (key == null || !VALID.matcher(key).matches()) {
            throw new InvalidInputException(HEADER, "must be 1 to 255 visible ASCII characters other than a comma");
        }
        return Optional.of(key);
    }
}
