package org.acme.balance.bench;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Where a fresh instance's start goes (issue #21, target 5), from the bench's one start with Quarkus printing what
 * each of its start steps took ({@code quarkus.debug.print-startup-times}): the JVM before Quarkus' own clock, the
 * largest steps, the rest, and the first request.
 */
final class StartTimeline {

    /** How many steps get a row of their own; the others are summed. */
    static final int LARGEST = 10;

    /**
     * What the steps are, as this application uses them (read from a JFR profile of the start, main thread). A step
     * not listed shows its name alone.
     */
    static final Map<String, String> WHAT = Map.ofEntries(
            Map.entry("ArcProcessor.notifyBeanContainerListeners", "Hibernate ORM builds its metadata (the entities'"
                    + " mapping), as a listener of the CDI container"),
            Map.entry("HibernateOrmProcessor.startPersistenceUnits", "Hibernate ORM starts the persistence unit (its"
                    + " session factory), offline: no connection"),
            Map.entry("LifecycleEventsBuildStep.startupEvent", "the StartupEvent observers: Flyway's container for each"
                    + " of the 5 datasources (made though Flyway is inactive on a serving instance), the connection"
                    + " budget check, the threads of the heartbeat, the replica prober and the chat listener"),
            Map.entry("SmallRyeOpenApiProcessor.prepareDocuments", "the OpenAPI document (/q/openapi), read and"
                    + " filtered"),
            Map.entry("HibernateValidatorProcessor.init", "Hibernate Validator's factory (the request bodies' rules)"),
            Map.entry("ArcProcessor.initializeContainer", "the CDI container"),
            Map.entry("BannerProcessor.recordBanner", "the first runtime step (the banner is off: the classes it loads"
                    + " first, logging and configuration)"),
            Map.entry("VertxHttpProcessor.openSocket", "the HTTP listeners (API and management) bound"),
            Map.entry("MicrometerProcessor.configureRegistry", "Micrometer's registry and its binders"),
            Map.entry("VertxHttpProcessor.preinitializeRouter", "the HTTP router"),
            Map.entry("ResteasyReactiveProcessor.setupDeployment", "Quarkus REST's endpoints"),
            Map.entry("NarayanaJtaProcessor.build", "the transaction manager"));

    record Step(String name, long ms) {
    }

    private StartTimeline() {
    }

    /** The section, or empty when the run has no timeline for JDK. */
    static Optional<String> section(Results results, String jdk, String jdkName) {
        Optional<Double> total = results.number("jdk." + jdk + ".timeline.total");
        Optional<Double> listening = results.number("jdk." + jdk + ".timeline.listening");
        Optional<Double> startedIn = results.number("jdk." + jdk + ".timeline.started-in");
        List<Step> steps = results.lines("jdk." + jdk + ".timeline.step").stream()
                .filter(l -> l.size() >= 2)
                .map(l -> new Step(l.get(0), Long.parseLong(l.get(1).trim())))
                .sorted(Comparator.comparingLong(Step::ms).reversed())
                .toList();
        if (total.isEmpty() || listening.isEmpty() || startedIn.isEmpty() || steps.isEmpty()) {
            return Optional.empty();
        }
        long stepsMs = steps.stream().mapToLong(Step::ms).sum();
        long before = Math.round(listening.get() - startedIn.get());
        long between = Math.round(startedIn.get()) - stepsMs;
        long firstRequest = Math.round(total.get() - listening.get());

        BenchReport.Table t = new BenchReport.Table().head("from exec java to the first 200", "ms", "share",
                "what it is");
        t.row("the JVM, before Quarkus' own clock", String.valueOf(before), share(before, total.get()),
                "the JVM starting (the cache mapped), Quarkus' class loader reading the application's index");
        for (Step step : steps.subList(0, Math.min(LARGEST, steps.size()))) {
            t.row("step " + step.name(), String.valueOf(step.ms()), share(step.ms(), total.get()),
                    WHAT.getOrDefault(step.name(), ""));
        }
        if (steps.size() > LARGEST) {
            long rest = steps.subList(LARGEST, steps.size()).stream().mapToLong(Step::ms).sum();
            t.row("the other " + (steps.size() - LARGEST) + " steps", String.valueOf(rest), share(rest, total.get()),
                    "each under " + steps.get(LARGEST - 1).ms() + " ms");
        }
        t.row("between the steps", String.valueOf(between), share(between, total.get()),
                "\"started in\" less its steps: the generated main's own code, static initialisers");
        t.row("the first request", String.valueOf(firstRequest), share(firstRequest, total.get()),
                "from the listener's line in the log to the first 200: the reactive pool's first connection to the"
                        + " replica (with its SCRAM login), the read path's code run for the first time");
        t.row("**total**", "**" + Math.round(total.get()) + "**", "100%", "");

        return Optional.of("## The start, step by step\n\n"
                + String.format(Locale.ROOT, "One more fresh start on %s with its cache, Quarkus printing what each of"
                        + " its %d start steps took (`-Dquarkus.debug.print-startup-times=true`, a switch read at run"
                        + " time: the jar is the same). Quarkus' own \"started in\" was %.0f ms of the %.0f ms to the"
                        + " first 200.%n%n", jdkName, steps.size(), startedIn.get(), total.get())
                + t + "\n");
    }

    private static String share(double ms, double total) {
        return String.format(Locale.ROOT, "%.0f%%", 100 * ms / total);
    }
}
