package org.acme.users.edge;

import io.vertx.ext.web.RoutingContext;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Headers of /chat.html. A Content-Security-Policy that allows only the page's own inline script and style (by their
 * hashes, computed here from the page itself, so the policy cannot drift from it), connections to its own origin (the
 * socket, the history), no framing, no sniffing. "no-cache" instead of a day of "immutable": the URL is not versioned,
 * so a changed page must reach browsers at once (they revalidate with the ETag).
 */
@ApplicationScoped
public class ChatPage {

    static final String RESOURCE = "META-INF/resources/chat.html";
    private static final Pattern INLINE = Pattern.compile("<(script|style)>(.*?)</\\1>", Pattern.DOTALL);

    private String policy;

    @PostConstruct
    void init() {
        List<String> scripts = new ArrayList<>();
        List<String> styles = new ArrayList<>();
        Matcher m = INLINE.matcher(page());
        while (m.find()) {
            ("script".equals(m.group(1)) ? scripts : styles).add("'sha256-" + sha256(m.group(2)) + "'");
        }
        policy = "default-src 'none'; script-src " + sources(scripts) + "; style-src " + sources(styles)
                + "; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    }

    public String policy() {
        return policy;
    }

    void headers(RoutingContext ctx) {
        // set as the headers leave, over what the static handler put
        ctx.addHeadersEndHandler(v -> ctx.response().headers()
                .set("Content-Security-Policy", policy)
                .set("X-Frame-Options", "DENY")
                .set("X-Content-Type-Options", "nosniff")
                .set("Referrer-Policy", "no-referrer")
                .set("Cache-Control", "no-cache"));
        ctx.next();
    }

    private static String sources(List<String> hashes) {
        return hashes.isEmpty() ? "'none'" : String.join(" ", hashes);
    }

    private static String page() {
        try (InputStream in = Thread.currentThread().getContextClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(String text) {
        try {
            return Base64.getEncoder().encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JVM has SHA-256
        }
    }
}
