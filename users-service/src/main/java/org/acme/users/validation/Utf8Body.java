package org.acme.users.validation;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.acme.users.config.UsersConfig;

/**
 * JSON bodies are UTF-8 (RFC 8259), checked before any parser sees them: overlong forms ({@code C0 AF} for "/"),
 * encoded surrogates and bytes that decode to nothing are refused instead of being repaired into something the client
 * did not send. Raw control bytes other than tab, CR and LF are refused too: JSON allows none, and refusing NUL bytes
 * also refuses UTF-16 and UTF-32 bodies, which Jackson would otherwise detect and accept. The body is bounded while
 * it is read (a chunked body has no Content-Length to check up front).
 */
@Provider
public class Utf8Body implements ReaderInterceptor {

    // a provider is built at static init: the settings are read when a body comes, not then
    @Inject
    Instance<UsersConfig> config;

    @Override
    public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
        MediaType type = context.getMediaType();
        if (type == null || !isJson(type)) {
            return context.proceed();
        }
        String charset = type.getParameters().get(MediaType.CHARSET_PARAMETER);
        if (charset != null && !charset.equalsIgnoreCase("utf-8") && !charset.equalsIgnoreCase("utf8")) {
            throw new InvalidBodyException(415, "unsupported-media-type", "Unsupported Media Type",
                    "JSON bodies must be UTF-8");
        }
        byte[] body = readBounded(context.getInputStream());
        check(body);
        context.setInputStream(new ByteArrayInputStream(body));
        return context.proceed();
    }

    static boolean isJson(MediaType type) {
        return "application".equalsIgnoreCase(type.getType())
                && ("json".equalsIgnoreCase(type.getSubtype()) || type.getSubtype().toLowerCase().endsWith("+json"));
    }

    private byte[] readBounded(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        for (int n; (n = in.read(buffer)) != -1; ) {
            if (out.size() + n > config.get().limits().maxBodySize()) {
                throw InvalidBodyException.tooLarge(config.get().limits().maxBodySize());
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    /** Throws unless BODY is strict UTF-8 without raw control bytes (tab, LF and CR excepted). */
    static void check(byte[] body) {
        for (byte b : body) {
            if ((b >= 0 && b < 0x20 && b != '\t' && b != '\n' && b != '\r')) {
                throw new InvalidBodyException(400, "malformed-json", "Malformed JSON",
                        "the body contains a raw control character (JSON allows them only escaped, as \\u0000)");
            }
        }
        try {
            // the JDK's decoder refuses overlong forms, encoded surrogates, code points above U+10FFFF, cut sequences
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body));
        } catch (CharacterCodingException e) {
            throw new InvalidBodyException(400, "invalid-encoding", "Invalid request body", "the body is not valid UTF-8");
        }
    }
}
