package org.acme.users.chat;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import jakarta.websocket.Session;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;

/**
 * The closing handshake of RFC 6455 (7.1.1): when the server closes a socket (1009 for a message over the limit, 1007,
 * 1003, 1008, 1013), the container writes its Close frame and closes the connection at once. A client still sending
 * (the rest of the message that was too big) then writes into a closed connection: the kernel answers with a reset,
 * and the client loses the Close frame, and with it the reason (it sees a broken connection, 1006). This handler holds
 * the connection open after the server's Close frame until the client's Close frame arrives, or for
 * {@value #LINGER_MILLIS} ms at most, and drops every other frame meanwhile, both ways (nothing more is delivered or
 * buffered, nothing sent after the Close).
 */
final class LingeringClose extends ChannelDuplexHandler {

    static final long LINGER_MILLIS = 2000;

    // all of the following are touched on the channel's event loop only (Netty calls a handler there)
    private boolean closeSent;
    private boolean closeReceived;
    private ChannelPromise pendingClose;

    private LingeringClose() {
    }

    /** Installs it on SOCKET; false when the container is not the one this knows (then it closes at once). */
    static boolean install(Session socket) {
        return ChatPipeline.addInFrontOfFrameHandler(socket, "chat-lingering-close", new LingeringClose());
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (closeSent && msg instanceof WebSocketFrame frame) {
            // nothing may follow a Close (RFC 6455 5.5.1): a relayed message or a ping that was on its way is dropped,
            // and its sender learns the socket is gone, as it would have from a closed connection
            frame.release();
            promise.setFailure(new ClosedChannelException());
            return;
        }
        if (msg instanceof CloseWebSocketFrame) {
            closeSent = true;
        }
        ctx.write(msg, promise);
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (pendingClose != null || !closeSent || closeReceived || !ctx.channel().isActive()
                || ctx.executor().isShuttingDown()) {
            closeNow(ctx); // a second close (the server stopping) does not wait either
            ctx.close(promise);
            return;
        }
        pendingClose = promise;
        ctx.executor().schedule(() -> closeNow(ctx), LINGER_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof CloseWebSocketFrame close) {
            closeReceived = true;
            if (pendingClose != null) {
                close.release(); // the container has answered already: the handshake is complete
                closeNow(ctx);
                return;
            }
        } else if (closeSent && msg instanceof WebSocketFrame frame) {
            frame.release();
            return;
        }
        ctx.fireChannelRead(msg);
    }

    private void closeNow(ChannelHandlerContext ctx) {
        if (pendingClose != null) {
            ChannelPromise promise = pendingClose;
            pendingClose = null;
            ctx.close(promise);
        }
    }
}
