package org.acme.users.validation;

import jakarta.validation.Constraint;
import jakarta.validation.Payload;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A person's name as the service stores it (after trimming): 1 to {@value #MAX_LENGTH} characters (code points), no
 * control, separator, noncharacter or bidirectional-override character, and at least one visible character. Any
 * script, and emoji, are fine. See docs/security.md.
 */
@Target({ElementType.FIELD, ElementType.PARAMETER, ElementType.RECORD_COMPONENT, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Constraint(validatedBy = PersonNameValidator.class)
public @interface PersonName {

    int MAX_LENGTH = 100;

    String message() default "must be 1 to 100 characters with at least one visible one, and no control characters";

    Class<?>[] groups() default {};

    Class<? extends Payload>[] payload() default {};
}
