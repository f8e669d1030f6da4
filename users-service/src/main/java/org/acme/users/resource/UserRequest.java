package org.acme.users.resource;

import jakarta.validation.constraints.NotNull;
import org.acme.users.validation.Mailbox;
import org.acme.users.validation.PersonName;

/**
 * Body of POST and PUT /users. Read strictly (StrictJson, Utf8Body): unknown fields, repeated keys, non-string values
 * and anything after the object are refused. Both values are checked as the service will store them, trimmed.
 */
public record UserRequest(
        @NotNull @PersonName String name,
        @NotNull @Mailbox String email) {
}
