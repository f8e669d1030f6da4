package org.acme.users.edge;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.spi.Bean;
import jakarta.enterprise.inject.spi.BeanManager;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import jakarta.websocket.server.ServerEndpoint;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.Path;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The service's routes, read from its own annotations (JAX-RS resources and the WebSocket endpoint) at startup: what a
 * 405 lists in Allow for a path (Quarkus REST says only "not allowed"), and the route templates metrics may use as
 * labels. One source of truth: the resources themselves.
 */
@Singleton
public class ResourceMethods {

    /** One method on one template, e.g. GET /users/{id}. */
    record Route(String template, Pattern pattern, String method) {
    }

    @Inject
    BeanManager beans;

    private final List<Route> routes = new ArrayList<>();

    @PostConstruct
    void init() {
        for (Bean<?> bean : beans.getBeans(Object.class, Any.Literal.INSTANCE)) {
            Class<?> type = bean.getBeanClass();
            Path classPath = type.getAnnotation(Path.class);
            ServerEndpoint socket = type.getAnnotation(ServerEndpoint.class);
            if (socket != null) {
                add(socket.value(), "GET"); // the upgrade request
            }
            if (classPath == null) {
                continue;
            }
            for (Method method : type.getMethods()) {
                String http = httpMethod(method);
                if (http != null) {
                    Path methodPath = method.getAnnotation(Path.class);
                    add(classPath.value() + "/" + (methodPath == null ? "" : methodPath.value()), http);
                }
            }
        }
    }

    /** The methods PATH answers to (with HEAD for GET and OPTIONS, which Quarkus REST answers by itself); empty: none. */
    public Set<String> allowed(String path) {
        Set<String> allowed = new TreeSet<>();
        for (Route route : routes) {
            if (route.pattern().matcher(path).matches()) {
                allowed.add(route.method());
            }
        }
        if (allowed.contains("GET")) {
            allowed.add("HEAD");
        }
        if (!allowed.isEmpty()) {
            allowed.add("OPTIONS");
        }
        return allowed;
    }

    /**
     * The template of the route PATH matches ({@code /users/{id}} for /users/7), or PATH when it is a template already
     * (Quarkus may give it with its regex, {@code /users/{id: [0-9]{1,18}}}).
     */
    public Optional<String> template(String path) {
        if (path.indexOf('{') >= 0) {
            String template = parse(path).template();
            return routes.stream().map(Route::template).filter(template::equals).findFirst();
        }
        for (Route route : routes) {
            if (route.pattern().matcher(path).matches()) {
                return Optional.of(route.template());
            }
        }
        return Optional.empty();
    }

    private void add(String rawTemplate, String method) {
        Route parsed = parse(rawTemplate);
        routes.add(new Route(parsed.template(), parsed.pattern(), method));
    }

    /** A JAX-RS template as {@code /a/{name}} and as a regex that matches its paths. */
    private static Route parse(String rawTemplate) {
        String path = ("/" + rawTemplate).replaceAll("/+", "/");
        if (path.length() > 1 && path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        StringBuilder template = new StringBuilder();
        StringBuilder regex = new StringBuilder();
        int i = 0;
        while (i < path.length()) {
            char c = path.charAt(i);
            if (c != '{') {
                template.append(c);
                regex.append(Pattern.quote(String.valueOf(c)));
                i++;
                continue;
            }
            int depth = 0;
            int end = i;
            do { // {name} or {name: regex}, whose regex may hold braces of its own
                depth += path.charAt(end) == '{' ? 1 : path.charAt(end) == '}' ? -1 : 0;
                end++;
            } while (depth > 0 && end < path.length());
            String variable = path.substring(i + 1, end - 1);
            int colon = variable.indexOf(':');
            String name = (colon < 0 ? variable : variable.substring(0, colon)).strip();
            template.append('{').append(name).append('}');
            regex.append('(').append(colon < 0 ? "[^/]+" : variable.substring(colon + 1).strip()).append(')');
            i = end;
        }
        return new Route(template.toString(), Pattern.compile(regex.toString()), null);
    }

    private static String httpMethod(Method method) {
        for (Annotation annotation : method.getAnnotations()) {
            HttpMethod http = annotation.annotationType().getAnnotation(HttpMethod.class);
            if (http != null) {
                return http.value();
            }
        }
        return null;
    }
}
