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
 * Runs a {@link RetryOnRace} method once more when its transaction lost a race. It sits outside the transaction
 * ({@code @Transactional}'s interceptor has priority PLATFORM_BEFORE + 200), so the second attempt is a new transaction
 * that sees what the winner committed: a deadlock's victim, say, then answers as if it had come second.
 * <p>
 * Once only. A second loss means the same rows are contested without pause; the request then ends as a 409
 * {@code write-conflict} (ProblemMappers), which says that nothing was written. A failure that also says the node is
 * unreachable is not retried here: whether a write reached a dead node is not known, and that is a 503.
 */
@RetryOnRace
@Interceptor
@Priority(Interceptor.Priority.PLATFORM_BEFORE + 100)
public class RaceRetry {

    private static final Logger LOG = Logger.getLogger(RaceRetry.class);

    private final Counter retries;

    @Inject
    RaceRetry(MeterRegistry registry) {
        retries = Counter.builder("users.write.retries")
                .description("write transactions run again after losing a race (deadlock, serialization failure, stale row)")
                .register(registry);
    }

    @AroundInvoke
    Object retryOnce(InvocationContext invocation) throws Exception {
        if (QuarkusTransaction.isActive()) {
            return invocation.proceed(); // joined a caller's transaction: the caller's attempt is what runs again
        }
        try {
            return invocation.proceed();
        } catch (Exception e) {
            if (!DatabaseFailures.concurrent(e) || DatabaseFailures.unavailable(e)) {
                throw e;
            }
            retries.increment();
            LOG.infof("%s lost a race (%s); running it again", invocation.getMethod().getName(),
                    DatabaseFailures.describe(e));
            return invocation.proceed();
        }
    }
}
