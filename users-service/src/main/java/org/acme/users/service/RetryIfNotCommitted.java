package org.acme.users.service;

import static java.lang.annotation.ElementType.METHOD;
import static java.lang.annotation.ElementType.TYPE;
import static java.lang.annotation.RetentionPolicy.RUNTIME;

import jakarta.interceptor.InterceptorBinding;
import java.lang.annotation.Retention;
import java.lang.annotation.Target;

/**
 * On a write transaction (beside {@code @Transactional}): when it failed in a way that proves nothing of it committed
 * and that a new transaction may not meet again, it runs again, in a transaction of its own: it lost a race with
 * another transaction on the same rows ({@link org.acme.users.problem.DatabaseFailures#concurrent}), or PostgreSQL
 * ended its session before any commit ({@link org.acme.users.problem.DatabaseFailures#neverCommitted}). Only for
 * methods whose every effect is inside their transaction (a NOTIFY too is sent on commit only): nothing of the failed
 * attempt committed, so running it again is what a serial order would have done. See {@link WriteRetry}.
 */
@InterceptorBinding
@Retention(RUNTIME)
@Target({TYPE, METHOD})
public @interface RetryIfNotCommitted {
}
