package org.acme.users.resource;

import java.util.regex.Pattern;
import org.acme.users.problem.InvalidInputException;

/** Query parameters arrive as strings, so a bad one is a 400 problem that names it, not a 404. */
public final class QueryParams {

    // ASCII digits only, as sent: Long.parseLong would also take "+5", and Arabic-Indic or fullwidth digits
    private static final Pattern INTEGER = Pattern.compile("-?[0-9]{1,19}");

    private QueryParams() {
    }

    public static long longParam(String name, String value, long min, long max) {
        try {
            if (INTEGER.matcher(value).matches()) {
                long parsed = Long.parseLong(value);
                if (parsed >= min && parsed <= max) {
                    return parsed;
                }
            }
        } catch (NumberFormatException e) {
            // beyond a long: reported below
        }
        throw new InvalidInputException(name, "must be an integer between " + min + " and " + max);
    }

    public static int intParam(String name, String value, int min, int max) {
        return (int) longParam(name, value, min, max);
    }
}
