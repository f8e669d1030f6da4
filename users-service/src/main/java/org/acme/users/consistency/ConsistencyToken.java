package org.acme.users.consistency;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A position in the primary's WAL, in PostgreSQL's own text form ({@code 16/B374D848}): issued after a write has
 * committed, so it is at or after the write's COMMIT record. A read that presents it is served only by a node that
 * has applied everything up to it.
 */
public record ConsistencyToken(long lsn) implements Comparable<ConsistencyToken> {

    /** The response header that carries a new token, and the request header a client may echo it in. */
    public static final String HEADER = "Consistency-Token";
    /** The cookie that carries it for browsers and any cookie-keeping client. */
    public static final String COOKIE = "Consistency-Token";
    // pg_lsn's text form: two hex numbers of up to 32 bits each
    private static final Pattern FORM = Pattern.compile("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}");

    /** Whether TEXT is a token at all. */
    public static boolean wellFormed(String text) {
        return text != null && FORM.matcher(text).matches();
    }

    public static ConsistencyToken parse(String text) {
        if (!wellFormed(text)) {
            throw new IllegalArgumentException("not a WAL position");
        }
        int slash = text.indexOf('/');
        return new ConsistencyToken(Long.parseLong(text.substring(0, slash), 16) << 32
                | Long.parseLong(text.substring(slash + 1), 16));
    }

    /** A pg_lsn as JDBC returns it (text), or empty for SQL NULL. */
    public static Optional<ConsistencyToken> ofPgLsn(String text) {
        return text == null ? Optional.empty() : Optional.of(parse(text));
    }

    /** Whether a node that applied up to this position has applied everything up to OTHER. */
    public boolean covers(ConsistencyToken other) {
        return Long.compareUnsigned(lsn, other.lsn) >= 0;
    }

    @Override
    public int compareTo(ConsistencyToken other) {
        return Long.compareUnsigned(lsn, other.lsn);
    }

    @Override
    public String toString() {
        return String.format("%X/%X", lsn >>> 32, lsn & 0xFFFFFFFFL);
    }
}
