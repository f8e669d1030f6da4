package org.acme.users.resource;

import jakarta.validation.constraints.Email;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

/** Body of POST and PUT /users. Unknown fields are rejected (quarkus.jackson.fail-on-unknown-properties). */
public record UserRequest(
        @NotBlank @Size(max = 100) String name,
        @NotBlank @Size(max = 254) @Email(regexp = "[^@\\s]+@[^@\\s]+\\.[^@\\s]+") String email) {
}
