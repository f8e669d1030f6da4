package org.acme.users.chat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import jakarta.websocket.Session;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Text frames must be UTF-8 (RFC 6455 8.1): the container decodes them leniently, turning invalid bytes into U+FFFD,
 * and each fragment on its own, so a character split between two fragments also came out as U+FFFD. This handler
 * sits in the socket's pipeline just before the container's frame handler and checks the bytes of every text message
 * across its fragments with a strict decoder (overlong forms, encoded surrogates and cut sequences are errors):
 * <ul>
 * <li>an invalid message is dropped, and {@code onInvalid} closes the socket (1007);</li>
 * <li>a fragment that ends inside a character gives its last bytes to the next one, so the container decodes every
 * fragment whole.</li>
 * </ul>
 * Frames that reached the container before this handler was installed (a client that sent data before the handshake's
 * answer, which RFC 6455 forbids) were not checked: {@link #vouchesFor} tells the socket which text holding U+FFFD
 * came through here.
 */
final class Utf8FrameGuard extends ChannelInboundHandlerAdapter {

    private final Runnable onInvalid;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    /** Checked fragments that hold U+FFFD legitimately, in the order the container will deliver them. */
    private final ConcurrentLinkedQueue<String> checkedReplacementChars = new ConcurrentLinkedQueue<>();
    private byte[] carry = new byte[0]; // the start of a character cut by the end of the last fragment
    private boolean inText; // inside a fragmented text message
    private boolean failed;

    private Utf8FrameGuard(Runnable onInvalid) {
        this.onInvalid = onInvalid;
    }

    /**
     * Puts a guard in front of SOCKET's frame handler; null when the container is not the one this knows (then frames
     * are not checked here, and the socket treats any U+FFFD as invalid input).
     */
    static Utf8FrameGuard install(Session socket, Runnable onInvalid) {
        Utf8FrameGuard guard = new Utf8FrameGuard(onInvalid);
        return ChatPipeline.addInFrontOfFrameHandler(socket, "chat-utf8-guard", guard) ? guard : null;
    }

    /** Whether PART (a fragment the container delivered, holding U+FFFD) was checked here: its U+FFFD was sent as such. */
    boolean vouchesFor(String part) {
        return part.equals(checkedReplacementChars.poll());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (failed && msg instanceof WebSocketFrame frame) {
            frame.release(); // the socket is closing: nothing more is delivered
            return;
        }
        if (msg instanceof TextWebSocketFrame text) {
            inText = !text.isFinalFragment();
            carry = new byte[0];
            decoder.reset();
            forward(ctx, text, true);
        } else if (msg instanceof ContinuationWebSocketFrame continuation && inText) {
            inText = !continuation.isFinalFragment();
            forward(ctx, continuation, false);
        } else {
            if (msg instanceof BinaryWebSocketFrame binary) {
                inText = false; // the socket refuses binary messages itself
            }
            ctx.fireChannelRead(msg);
        }
    }

    private void forward(ChannelHandlerContext ctx, WebSocketFrame frame, boolean first) {
        boolean last = frame.isFinalFragment();
        byte[] bytes = new byte[carry.length + frame.content().readableBytes()];
        System.arraycopy(carry, 0, bytes, 0, carry.length);
        frame.content().getBytes(frame.content().readerIndex(), bytes, carry.length, bytes.length - carry.length);
        int rsv = frame.rsv();
        frame.release();

        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, last);
        if (!result.isError() && last) {
            result = decoder.flush(out);
        }
        if (result.isError() || (last && in.hasRemaining())) {
            failed = true;
            onInvalid.run();
            return;
        }
        int whole = in.position(); // bytes that made whole characters; the rest waits for the next fragment
        carry = new byte[bytes.length - whole];
        System.arraycopy(bytes, whole, carry, 0, carry.length);
        String decoded = out.flip().toString();
        if (decoded.indexOf('\uFFFD') >= 0) {
            checkedReplacementChars.add(decoded);
        }
        ByteBuf content = Unpooled.wrappedBuffer(bytes, 0, whole);
        ctx.fireChannelRead(first ? new TextWebSocketFrame(last, rsv, content) : new ContinuationWebSocketFrame(last, rsv, content));
    }

}
