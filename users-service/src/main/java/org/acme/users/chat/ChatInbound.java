package org.acme.users.chat;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * What a client sends: {"type":"message","text":"hi","key":"its own id for the message, optional"}. Read by hand
 * from socket frames, so nothing registers it for reflection unless we do (native images).
 */
@RegisterForReflection
public record ChatInbound(String type, String text, String key) {
}
