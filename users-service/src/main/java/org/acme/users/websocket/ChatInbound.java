package org.acme.users.websocket;

/** What a client sends: {"type":"message","text":"hi","key":"its own id for the message, optional"}. */
public record ChatInbound(String type, String text, String key) {
}
