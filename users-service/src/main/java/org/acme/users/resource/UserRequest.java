package org.acme.users.resource;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/** Body of POST and PUT /users. Unknown fields are rejected (quarkus.jackson.fail-on-unknown-properties). */
public record UserRequest(
        @NotBlank @Size(max = 100) String name,
        // checked as sent, so the pattern allows the surrounding blanks the service trims
        @NotBlank @Size(max = 254) @Pattern(regexp = "\\s*[^@\\s]+@[^@\\s]+\\.[^@\\s]+\\s*",
                message = "must be a well-formed email address") String email) {
}
