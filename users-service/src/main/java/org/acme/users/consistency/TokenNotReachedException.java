package org.acme.users.consistency;

/**
 * A read whose Consistency-Token the replica has not applied, while the primary does not answer: the only honest
 * answer is "not now" (503, Retry-After), never an answer older than what the client has seen.
 */
public class TokenNotReachedException extends RuntimeException {

    public TokenNotReachedException(Throwable cause) {
        super("the replica has not applied this client's Consistency-Token yet and the primary does not answer;"
                + " retry later", cause);
    }
}
