package org.acme.users.consistency;

/** A Consistency-Token header or cookie that is not a WAL position: the client's error (400). */
public class InvalidConsistencyTokenException extends RuntimeException {

    /** It came in the cookie: the answer deletes it, or every later request would fail the same way. */
    public final boolean fromCookie;

    public InvalidConsistencyTokenException(boolean fromCookie) {
        super("Consistency-Token must be one WAL position such as 0/16B3F28, as a write returned it");
        this.fromCookie = fromCookie;
    }
}
