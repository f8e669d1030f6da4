package org.acme.users.edge;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jboss.logging.MDC;

/**
 * One id per request, end to end (docs/api.md, "Request ids"). The X-Request-Id a request comes with (nginx's, or a
 * client's that reached the instance directly) is kept when it is well-formed by nginx's rule, 1 to 64 of
 * [A-Za-z0-9._:-], so it is safe as it is in a header, a log line and a JSON string; otherwise the instance makes one.
 * It is answered as X-Request-Id on every answer, put in every problem (requestId) and chat error frame, and in the
 * MDC for the whole request: Quarkus keeps the MDC in the request's Vert.x context, which the worker thread of a
 * blocking method and the reactive client's callbacks run on, and which ends with the request (nothing leaks into the
 * next request on the same thread).
 */
public final class RequestIds {

    public static final String HEADER = "X-Request-Id";
    public static final String MDC_KEY = "requestId";
    static final Pattern WELL_FORMED = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
    /** The id of a WebSocket's upgrade request, on its connection: the socket's frames are answered with it. */
    private static final AttributeKey<String> UPGRADE = AttributeKey.valueOf(RequestIds.class.getName());

    private RequestIds() {
    }

    /** The id SENT when it is well-formed, else a fresh one. */
    public static String accept(String sent) {
        return sent != null && WELL_FORMED.matcher(sent).matches() ? sent : UUID.randomUUID().toString();
    }

    /** The id of the request served here, from the MDC; null outside of a request. */
    public static String current() {
        Object id = MDC.get(MDC_KEY);
        return id == null ? null : id.toString();
    }

    /** The id of CTX's request (set by {@link #begin}), or the MDC's. */
    static String of(RoutingContext ctx) {
        String id = ctx.get(MDC_KEY);
        return id != null ? id : current();
    }

    /** The id of the upgrade request of the WebSocket on CHANNEL, or a fresh one. */
    public static String ofUpgrade(Channel channel) {
        String id = channel.attr(UPGRADE).get();
        return id != null ? id : accept(null);
    }

    /** First of all on a router: the request's id, in its context, its MDC and its answer. */
    static void begin(RoutingContext ctx) {
        String id = accept(ctx.request().getHeader(HEADER));
        ctx.put(MDC_KEY, id);
        MDC.put(MDC_KEY, id);
        ctx.response().putHeader(HEADER, id);
        if (ctx.request().headers().contains(HttpHeaders.UPGRADE, HttpHeaders.WEBSOCKET, true)
                && ctx.request().connection() instanceof ConnectionBase connection) {
            connection.channel().attr(UPGRADE).set(id); // the same connection carries the socket once upgraded
        }
        ctx.next();
    }
}
