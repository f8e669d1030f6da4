package org.acme.users.consistency;

import jakarta.ws.rs.NameBinding;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On a read endpoint: the request's Consistency-Token (header or cookie) is honoured, and the response says where
 * the read went ({@code X-Read-Route}). See ConsistencyFilters.
 */
@NameBinding
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface ReadYourWrites {
}
