package org.acme.users.routing;

import io.quarkus.hibernate.orm.PersistenceUnitExtension;
import io.quarkus.hibernate.orm.runtime.tenant.TenantResolver;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Status;
import jakarta.transaction.SystemException;
import jakarta.transaction.TransactionManager;

/**
 * THE read/write split. One persistence unit, three datasources (Hibernate "database multitenancy"):
 * a session opened inside a transaction goes to {@value #WRITE} (the primary), any other session
 * goes to {@value #READ} (the replica, with the primary as fallback). A read the replica cannot serve fresh
 * enough (org.acme.users.consistency) runs in a transaction of its own through {@link PrimaryReads}: its session
 * goes to {@value #READ_PRIMARY}, the primary as the read-only reader role.
 *
 * <p>So: methods that write are {@code @Transactional} and everything they read sees the primary;
 * plain reads have no transaction and are served by the replica. Two non-XA datasources never
 * share a transaction.
 */
@PersistenceUnitExtension
@ApplicationScoped
public class ReadWriteRouting implements TenantResolver {

    /** Datasource names; they must match quarkus.datasource."write"/"read" in application.properties. */
    public static final String WRITE = "write";
    public static final String READ = "read";
    public static final String READ_PRIMARY = "read-primary";

    @Inject
    TransactionManager transactionManager;

    @Override
    public String getDefaultTenantId() {
        return WRITE;
    }

    @Override
    public String resolveTenantId() {
        if (!inTransaction()) {
            return READ;
        }
        return PrimaryReads.active() ? READ_PRIMARY : WRITE;
    }

    private boolean inTransaction() {
        try {
            return transactionManager.getStatus() == Status.STATUS_ACTIVE;
        } catch (SystemException e) {
            return true; // when in doubt, the primary is always correct
        }
    }
}
