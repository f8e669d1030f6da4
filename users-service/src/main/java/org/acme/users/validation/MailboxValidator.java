package org.acme.users.validation;

import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import java.util.regex.Pattern;

/** Checks {@link Mailbox}: the grammar is written there; the limits are RFC 5321's. */
public class MailboxValidator implements ConstraintValidator<Mailbox, String> {

    private static final Pattern LOCAL = Pattern.compile("[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*");
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final Pattern DIGITS = Pattern.compile("[0-9]+");

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

    /** Why VALUE is not an address the service accepts, or null. Surrounding blanks are trimmed first, as when stored. */
    static String problem(String value) {
        String address = value.strip();
        if (address.isEmpty()) {
            return "must not be blank";
        }
        if (address.length() > Mailbox.MAX_LENGTH) {
            return "must be at most " + Mailbox.MAX_LENGTH + " characters";
        }
        int at = address.lastIndexOf('@');
        if (at < 0 || address.indexOf('@') != at) {
            return "must contain exactly one @";
        }
        String local = address.substring(0, at);
        String domain = address.substring(at + 1);
        if (local.isEmpty() || local.length() > Mailbox.MAX_LOCAL_LENGTH) {
            return "the part before @ must be 1 to " + Mailbox.MAX_LOCAL_LENGTH + " characters";
        }
        if (!LOCAL.matcher(local).matches()) {
            return "the part before @ must be letters, digits and the symbols RFC 5322 allows, in runs separated by single dots";
        }
        if (domain.length() > Mailbox.MAX_DOMAIN_LENGTH) {
            return "the domain must be at most " + Mailbox.MAX_DOMAIN_LENGTH + " characters";
        }
        String[] labels = domain.split("\\.", -1);
        if (labels.length < 2) {
            return "the domain must have at least two labels (example.org)";
        }
        for (String label : labels) {
            if (label.isEmpty() || label.length() > Mailbox.MAX_LABEL_LENGTH || !LABEL.matcher(label).matches()) {
                return "each domain label must be 1 to 63 letters, digits or inner hyphens";
            }
        }
        if (DIGITS.matcher(labels[labels.length - 1]).matches()) {
            return "the domain must be a name, not an address";
        }
        return null;
    }
}
