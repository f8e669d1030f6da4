package org.acme.users.chat;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.undertow.websockets.UndertowSession;
import jakarta.websocket.Session;
import java.util.Map;

/** The socket's Netty pipeline, where the chat's own frame handlers go: just in front of the container's. */
final class ChatPipeline {

    private static final String FRAME_HANDLER = "io.undertow.websockets.FrameHandler";

    private ChatPipeline() {
    }

    /**
     * Puts HANDLER (as NAME) in front of SOCKET's frame handler, behind those put there before; false when the
     * container is not the one this knows.
     */
    static boolean addInFrontOfFrameHandler(Session socket, String name, ChannelHandler handler) {
        if (!(socket instanceof UndertowSession undertow)) {
            return false;
        }
        ChannelPipeline pipeline = undertow.getChannel().pipeline();
        for (Map.Entry<String, ChannelHandler> entry : pipeline) {
            if (entry.getValue().getClass().getName().equals(FRAME_HANDLER)) {
                pipeline.addBefore(entry.getKey(), name, handler);
                return true;
            }
        }
        return false;
    }
}
