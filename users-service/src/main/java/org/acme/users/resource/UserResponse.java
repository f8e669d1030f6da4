package org.acme.users.resource;

import java.time.Instant;
import org.acme.users.entity.User;

public record UserResponse(long id, String name, String email, Instant createdAt, Instant updatedAt) {

    static UserResponse of(User user) {
        return new UserResponse(user.id, user.name, user.email, user.createdAt, user.updatedAt);
    }
}
