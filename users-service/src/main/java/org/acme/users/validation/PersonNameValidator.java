package org.acme.users.validation;

import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;

/** Checks {@link PersonName}; the message says which rule failed, never what was sent. */
public class PersonNameValidator implements ConstraintValidator<PersonName, String> {

    @Override
    public boolean isValid(String value, ConstraintValidatorContext context) {
        if (value == null) {
            return true; // @NotNull's job
        }
        String problem = problem(value);
        if (problem == null) {
            return true;
        }
        context.disableDefaultConstraintViolation();
        context.buildConstraintViolationWithTemplate(problem).addConstraintViolation();
        return false;
    }

    /** Why VALUE is not a name, or null. The service trims names, so the rules apply to the trimmed value. */
    static String problem(String value) {
        return problem(value, PersonName.MAX_LENGTH);
    }

    /** The same rules with another bound: chat user names are at most 64 characters. */
    public static String problem(String value, int maxLength) {
        if (!UnicodeText.wellFormed(value)) {
            return "must be valid Unicode text (no unpaired surrogate)";
        }
        String name = value.strip();
        int length = UnicodeText.length(name);
        if (length == 0) {
            return "must not be blank";
        }
        if (length > maxLength) {
            return "must be at most " + maxLength + " characters";
        }
        boolean visible = false;
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            if (UnicodeText.isControl(cp)) {
                return "must not contain control characters";
            }
            if (UnicodeText.isNoncharacter(cp) || UnicodeText.isBidiControl(cp) || cp == 0xFFFD) {
                return "must not contain noncharacters, bidirectional overrides or U+FFFD";
            }
            visible |= UnicodeText.isVisible(cp);
            i += Character.charCount(cp);
        }
        return visible ? null : "must contain at least one visible character";
    }
}
