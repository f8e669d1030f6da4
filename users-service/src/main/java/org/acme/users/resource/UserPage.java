package org.acme.users.resource;

import java.util.List;

public record UserPage(List<UserResponse> items, int page, int size, long total) {
}
