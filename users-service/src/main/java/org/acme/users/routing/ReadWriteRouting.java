package org.acme.users.routing;

import io.quarkus.hibernate.orm.PersistenceUnitExtension;
import io.quarkus.hibernate.orm.runtime.tenant.TenantResolver;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Status;
import jakarta.transaction.SystemException;
import jakarta.transaction.TransactionManager;

/**
 * The ORM's sessions and their datasources. One persistence unit, three datasources (Hibernate "database
 * multitenancy"). Reads name their datasource: the read's route (org.acme.users.consistency.FreshReads) picks
 * {@value #READ} (the replica, with the primary as HAProxy's backup) or {@value #READ_PRIMARY} (the primary as the
 * read-only reader role), and the read opens its session there (UserLookup, ChatHistory, or the reactive pools of the
 * same names): no transaction, thread or flag decides where a read goes.
 *
 * <p>What is left to this resolver is the request's own session (Panache): inside a transaction, the writes,
 * {@value #WRITE} (the primary, the writer role); outside one, {@value #READ}, the read-only role, so a stray read
 * that names nothing can never write. Two non-XA datasources never share a transaction.
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
        return inTransaction() ? WRITE : READ;
    }

    private boolean inTransaction() {
        try {
            return transactionManager.getStatus() == Status.STATUS_ACTIVE;
        } catch (SystemException e) {
            return true; // when in doubt, the primary is always correct
        }
    }
}
