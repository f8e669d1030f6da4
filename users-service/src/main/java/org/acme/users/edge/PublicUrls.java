package org.acme.users.edge;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.HttpHeaders;
import java.net.URI;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.acme.users.config.UsersConfig;

/**
 * Absolute URLs the service hands out (Location). Never built from whatever Host a client sent: from
 * {@code users.public-base-url} when set; otherwise from the request's Host only when its name is one of
 * {@code users.allowed-hosts} (the names nginx serves); otherwise the URL stays relative ({@code /users/7}), which
 * RFC 9110 allows for Location.
 */
@ApplicationScoped
public class PublicUrls {

    // a host name or IPv4 address, or a bracketed IPv6 address, and an optional port
    private static final Pattern HOST = Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]{1,253})(?::([0-9]{1,5}))?");

    @Inject
    UsersConfig config;

    private Set<String> allowedHosts;
    String base; // the public base URL without a trailing slash, or null

    @PostConstruct
    void init() {
        allowedHosts = Arrays.stream(config.allowedHosts().split("[,\\s]+")).filter(h -> !h.isEmpty())
                .map(h -> h.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        base = config.publicBaseUrl().filter(b -> !b.isBlank()).map(b -> {
            URI uri = URI.create(b.strip());
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new IllegalArgumentException("users.public-base-url must be an absolute http(s) URL");
            }
            return b.strip().replaceAll("/+$", "");
        }).orElse(null);
    }

    /** PATH (absolute, starting with /) as the client should use it. */
    public URI to(String path, HttpHeaders headers) {
        if (base != null) {
            return URI.create(base + path);
        }
        String host = headers.getHeaderString(HttpHeaders.HOST);
        if (host != null && allowed(host)) {
            // nginx says whether the client came over TLS; the Host's name is on the list, so this cannot point elsewhere
            String scheme = "https".equalsIgnoreCase(headers.getHeaderString("X-Forwarded-Proto")) ? "https" : "http";
            return URI.create(scheme + "://" + host + path);
        }
        return URI.create(path);
    }

    boolean allowed(String host) {
        Matcher m = HOST.matcher(host);
        if (!m.matches()) {
            return false;
        }
        if (m.group(2) != null) {
            int port = Integer.parseInt(m.group(2));
            if (port < 1 || port > 65535) {
                return false;
            }
        }
        return allowedHosts.contains(m.group(1).toLowerCase(Locale.ROOT));
    }
}
