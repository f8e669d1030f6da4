package org.acme.users.validation;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;
import java.io.IOException;

/**
 * Every JSON the service reads (request bodies, chat frames, its own NOTIFY payloads) is read strictly: one value and
 * nothing after it, each key once, a string only where a string is expected (no 123 or true taken for "123" or
 * "true"), and strings that are valid Unicode. Lenient parsing let two readers of one document disagree on what it
 * says (the last of two "email" keys won here, the first elsewhere).
 */
@Singleton
public class StrictJson implements ObjectMapperCustomizer {

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        mapper.enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION.mappedFeature());
        mapper.disable(MapperFeature.ALLOW_COERCION_OF_SCALARS);
        mapper.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
        mapper.registerModule(new SimpleModule("strict-strings").addDeserializer(String.class, new StrictString()));
    }

    /** A JSON string, as is; any other token (number, boolean, object, array) is a type error, not a conversion. */
    static final class StrictString extends StdScalarDeserializer<String> {

        StrictString() {
            super(String.class);
        }

        @Override
        public String deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            if (parser.currentToken() != JsonToken.VALUE_STRING) {
                return (String) context.handleUnexpectedToken(String.class, parser);
            }
            String text = parser.getText();
            if (!UnicodeText.wellFormed(text)) {
                throw new UnpairedSurrogate(parser);
            }
            return text;
        }
    }

    /** A string escape such as "\\ud800" that makes no character: the text has no UTF-8 form, nothing could store it. */
    public static final class UnpairedSurrogate extends JsonMappingException {

        UnpairedSurrogate(JsonParser parser) {
            super(parser, "a string holds an unpaired surrogate");
        }
    }
}
