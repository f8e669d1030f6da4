package org.acme.users.problem;

import java.util.List;

/** Input the framework could not reject by itself (e.g. query parameters out of range). */
public class InvalidInputException extends RuntimeException {

    public final List<Problem.FieldError> errors;

    public InvalidInputException(String field, String message) {
        super(field + " " + message);
        this.errors = List.of(new Problem.FieldError(field, message));
    }
}
