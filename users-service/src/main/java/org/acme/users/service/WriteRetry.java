package org.acme.users.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.interceptor.AroundInvoke;
import jakarta.interceptor.Interceptor;
import jakarta.interceptor.InvocationContext;
import org.acme.users.problem.DatabaseFailures;
import org.jboss.logging.Logger;

/**
 * Runs a {@link RetryIfNotCommitted} method again when its transaction failed without committing anything. It sits
 * outside the transaction ({@code @Transactional}'s interceptor has priority PLATFORM_BEFORE + 200), so each attempt
 * is a new transaction on a connection taken from the pool again.
 * <ul>
 * <li>A lost race (deadlock, serialization failure, stale row): once. The second attempt sees what the winner
 * committed: a deadlock's victim then answers as if it had come second. A second loss means the same rows are
 * contested without pause; the request ends as a 409 {@code write-conflict} (ProblemMappers): nothing was written.</li>
 * <li>A session PostgreSQL ended before the commit (an instance frozen or starved mid-transaction past the writer
 * role's idle-in-transaction bound), or a pooled connection such an end had already closed: up to
 * {@value #SESSION_ENDED_RETRIES} times. The pool hands a closed connection out once (the driver's "connection has
 * been closed" makes it drop it), so after a freeze several may be met in a row; each fails at once, without a
 * round trip. Then a 503, as for an unreachable node.</li>
 * </ul>
 * Any other failure that shows an unreachable node is not retried: whether a write reached a dead node is not known,
 * and that is a 503.
 */
@RetryIfNotCommitted
@Interceptor
@Priority(Interceptor.Priority.PLATFORM_BEFORE + 100)
public class WriteRetry {

    /** More than the closed connections one freeze can leave in the write pool in the usual case. */
    static final int SESSION_ENDED_RETRIES = 3;

    private static final Logger LOG = Logger.getLogger(WriteRetry.class);

    private final Counter raceRetries;
    private final Counter sessionEndedRetries;

    @Inject
    WriteRetry(MeterRegistry registry) {
        raceRetries = retries(registry, "race");
        sessionEndedRetries = retries(registry, "session-ended");
    }

    private static Counter retries(MeterRegistry registry, String reason) {
        return Counter.builder("users.write.retries").tag("reason", reason)
                .description("write transactions run again after failing without committing: a lost race (deadlock,"
                        + " serialization failure, stale row) or a session PostgreSQL ended before the commit")
                .register(registry);
    }

    @AroundInvoke
    Object retry(InvocationContext invocation) throws Exception {
        if (QuarkusTransaction.isActive()) {
            return invocation.proceed(); // joined a caller's transaction: the caller's attempt is what runs again
        }
        int races = 0;
        int endedSessions = 0;
        while (true) {
            try {
                return invocation.proceed();
            } catch (Exception e) {
                if (DatabaseFailures.neverCommitted(e) && endedSessions < SESSION_ENDED_RETRIES) {
                    endedSessions++;
                    sessionEndedRetries.increment();
                    LOG.infof("%s found its database session ended before the commit (%s); running it again",
                            invocation.getMethod().getName(), DatabaseFailures.describe(e));
                } else if (DatabaseFailures.concurrent(e) && !DatabaseFailures.unavailable(e) && races == 0) {
                    races++;
                    raceRetries.increment();
                    LOG.infof("%s lost a race (%s); running it again", invocation.getMethod().getName(),
                            DatabaseFailures.describe(e));
                } else {
                    throw e;
                }
            }
        }
    }
}
