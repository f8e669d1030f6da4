package org.acme.users.resource;

import org.acme.users.problem.InvalidInputException;

/** Query parameters arrive as strings, so a bad one is a 400 problem that names it, not a 404. */
final class QueryParams {

    private QueryParams() {
    }

    static long longParam(String name, String value, long min, long max) {
        try {
            long parsed = Long.parseLong(value.strip());
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new InvalidInputException(name, "must be an integer between " + min + " and " + max);
    }

    static int intParam(String name, String value, int min, int max) {
        return (int) longParam(name, value, min, max);
    }
}
