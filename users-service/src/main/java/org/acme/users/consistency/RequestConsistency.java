package org.acme.users.consistency;

import jakarta.enterprise.context.RequestScoped;
import java.util.Optional;

/** The consistency token a request carried (header or cookie), and where its reads went. */
@RequestScoped
public class RequestConsistency {

    private ConsistencyToken token;
    private boolean tokenFromCookie;
    private boolean tokenIgnored;
    private ReadRoute route;

    public Optional<ConsistencyToken> token() {
        return Optional.ofNullable(tokenIgnored ? null : token);
    }

    void present(ConsistencyToken token, boolean fromCookie) {
        this.token = token;
        this.tokenFromCookie = fromCookie;
    }

    /** The token is beyond anything the primary has written (forged, or from another cluster): read without it. */
    void ignoreToken() {
        tokenIgnored = true;
    }

    boolean tokenIgnored() {
        return tokenIgnored;
    }

    boolean tokenFromCookie() {
        return tokenFromCookie;
    }

    public void routed(ReadRoute route) {
        this.route = route;
    }

    /** The route of the request's last read, if it read anything. */
    public Optional<ReadRoute> route() {
        return Optional.ofNullable(route);
    }
}
