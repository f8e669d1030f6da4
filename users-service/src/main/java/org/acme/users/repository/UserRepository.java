package org.acme.users.repository;

import io.quarkus.hibernate.orm.panache.PanacheRepository;
import io.quarkus.panache.common.Sort;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import org.acme.users.entity.User;

@ApplicationScoped
public class UserRepository implements PanacheRepository<User> {

    /** A stable page: ordered by id, so pages neither overlap nor skip while rows are added. */
    public List<User> page(int page, int size) {
        return findAll(Sort.by("id")).page(page, size).list();
    }
}
