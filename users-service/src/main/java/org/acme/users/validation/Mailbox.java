package org.acme.users.validation;

import jakarta.validation.Constraint;
import jakarta.validation.Payload;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * An email address the service accepts (after trimming surrounding blanks), a subset of RFC 5321's Mailbox:
 * <pre>
 * mailbox  = local "@" domain                        ; at most 254 characters in all (RFC 5321 path limit)
 * local    = atext+ *("." atext+)                    ; dot-atom, 1 to 64 characters
 * atext    = ALPHA / DIGIT / "!" / "#" / "$" / "%" / "&amp;" / "'" / "*" / "+" / "-" / "/" / "=" / "?" / "^" / "_" / "`"
 *            / "{" / "|" / "}" / "~"
 * domain   = label 1*("." label)                      ; at most 253 characters, two labels or more
 * label    = ALPHA / DIGIT, then up to 61 of ALPHA / DIGIT / "-", ending with ALPHA / DIGIT (1 to 63 characters)
 * the last label is not all digits
 * </pre>
 * Refused on purpose: quoted local parts, comments, address literals ({@code [192.0.2.1]}), internationalized
 * addresses (send the domain as its A-label, {@code xn--...}). See docs/security.md.
 */
@Target({ElementType.FIELD, ElementType.PARAMETER, ElementType.RECORD_COMPONENT, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Constraint(validatedBy = MailboxValidator.class)
public @interface Mailbox {

    int MAX_LENGTH = 254;
    int MAX_LOCAL_LENGTH = 64;
    int MAX_DOMAIN_LENGTH = 253;
    int MAX_LABEL_LENGTH = 63;

    String message() default "must be an email address (local@domain.example, see docs/security.md)";

    Class<?>[] groups() default {};

    Class<? extends Payload>[] payload() default {};
}
