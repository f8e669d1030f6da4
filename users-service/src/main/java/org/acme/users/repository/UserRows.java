package org.acme.users.repository;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
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
    private static final String PAGE = COLUMNS + " ORDER BY id LIMIT $1 OFFSET $2";
    private static final String COUNT = "SELECT count(*) FROM users.app_user";

    private UserRows() {
    }

    public static Future<Optional<User>> byId(Pool pool, long id) {
        return pool.preparedQuery(BY_ID).execute(Tuple.of(id)).map(rows -> {
            var found = rows.iterator();
            return found.hasNext() ? Optional.of(user(found.next())) : Optional.empty();
        });
    }

    /** One page (ordered by id) and the total, on one connection: from one node. */
    public static Future<UserLookup.Page> page(Pool pool, int page, int size) {
        return pool.withConnection(connection -> connection.preparedQuery(PAGE)
                .execute(Tuple.of(size, (long) page * size))
                .flatMap(rows -> connection.preparedQuery(COUNT).execute()
                        .map(count -> new UserLookup.Page(users(rows), count.iterator().next().getLong(0)))));
    }

    private static List<User> users(RowSet<Row> rows) {
        List<User> users = new ArrayList<>(rows.size());
        for (Row row : rows) {
            users.add(user(row));
        }
        return users;
    }

    private static User user(Row row) {
        User user = new User();
        user.id = row.getLong(0);
        user.name = row.getString(1);
        user.email = row.getString(2);
        user.createdAt = row.getOffsetDateTime(3).toInstant();
        user.updatedAt = row.getOffsetDateTime(4).toInstant();
        return user;
    }
}
