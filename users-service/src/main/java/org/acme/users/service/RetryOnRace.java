package org.acme.users.service;

import static java.lang.annotation.ElementType.METHOD;
import static java.lang.annotation.ElementType.TYPE;
import static java.lang.annotation.RetentionPolicy.RUNTIME;

import jakarta.interceptor.InterceptorBinding;
import java.lang.annotation.Retention;
import java.lang.annotation.Target;

/**
 * On a write transaction (beside {@code @Transactional}): when it loses a race with another transaction on the same
 * rows ({@link org.acme.users.problem.DatabaseFailures#concurrent}), it runs once more, in a transaction of its own.
 * Only for methods whose every effect is inside their transaction (a NOTIFY too is sent on commit only): nothing of
 * the lost attempt committed, so running it again is what a serial order would have done. See {@link RaceRetry}.
 */
@InterceptorBinding
@Retention(RUNTIME)
@Target({TYPE, METHOD})
public @interface RetryOnRace {
}
