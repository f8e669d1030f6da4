package org.acme.users.repository;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.acme.users.entity.User;

/**
 * The hot reads as SQL for the reactive client (org.acme.users.reactive): the same rows, order and columns as the
 * Hibernate queries of {@link UserLookup}, as prepared statements (cached per connection).
 */
public final class UserRows {

    private static final String COLUMNS = "SELECT id, name, email, created_at, updated_at FROM users.app_user";
    private static final String BY_ID = COLUMNS + " WHERE id = $1";
    /**
     * One page and the total in one statement (one snapshot, one node): the reactive pools are pipelined, which lends
     * no connection for two statements in a row. The total's row comes back alone, the user columns null, past the
     * last page.
     */
    private static final String PAGE = "SELECT total.n, page.id, page.name, page.email, page.created_at, page.updated_at"
            + " FROM (SELECT count(*) AS n FROM users.app_user) total LEFT JOIN LATERAL ("
            + COLUMNS + " ORDER BY id LIMIT $1 OFFSET $2) page ON true ORDER BY page.id";

    private UserRows() {
    }

    public static Future<Optional<User>> byId(Pool pool, long id) {
        return pool.preparedQuery(BY_ID).execute(Tuple.of(id)).map(rows -> {
            var found = rows.iterator();
            return found.hasNext() ? Optional.of(user(found.next(), 0)) : Optional.empty();
        });
    }

    /** One page (ordered by id) and the total, from one statement: one node, one snapshot. */
    public static Future<UserLookup.Page> page(Pool pool, int page, int size) {
        return pool.preparedQuery(PAGE).execute(Tuple.of(size, (long) page * size)).map(rows -> {
            long total = 0;
            List<User> users = new ArrayList<>(rows.size());
            for (Row row : rows) {
                total = row.getLong(0);
                if (row.getValue(1) != null) { // null past the last page
                    users.add(user(row, 1));
                }
            }
            return new UserLookup.Page(users, total);
        });
    }

    /** The user in ROW's columns from FIRST on: id, name, email, created_at, updated_at. */
    private static User user(Row row, int first) {
        User user = new User();
        user.id = row.getLong(first);
        user.name = row.getString(first + 1);
        user.email = row.getString(first + 2);
        user.createdAt = row.getOffsetDateTime(first + 3).toInstant();
        user.updatedAt = row.getOffsetDateTime(first + 4).toInstant();
        return user;
    }
}
