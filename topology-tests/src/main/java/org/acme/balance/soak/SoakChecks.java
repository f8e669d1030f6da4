package org.acme.balance.soak;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.acme.balance.scenario.LoadGenerator.Sample;
import org.acme.balance.scenario.ScenarioRun;
import org.acme.balance.soak.FailureCycle.Injected;

/**
 * The verdicts of a soak: nothing acknowledged lost or stored twice, every answer one the failure contract allows at
 * that moment, every acknowledged chat message stored once, no resource growing, the topology whole afterwards.
 */
final class SoakChecks {

    /** One check: its name, whether it held, and what was seen. */
    record Verdict(String check, boolean held, String detail) {
    }

    private final SoakResult result;
    final List<String> instances;
    final List<LeakCheck.Comparison> comparisons;

    SoakChecks(SoakResult result, List<String> instances) {
        this.result = result;
        this.instances = instances;
        this.comparisons = new LeakCheck(result.resources(), result.runFromMs(), result.runToMs(),
                result.failures().stream().map(f -> new double[] {f.atMs(), f.untilMs()}).toList())
                .compare(instances, !result.settings().isShort());
    }

    List<Verdict> verdicts() {
        List<Verdict> verdicts = new ArrayList<>();
        verdicts.add(loadRan());
        verdicts.add(acknowledgedWritesStored());
        verdicts.add(new Verdict("no user stored twice", result.storedTwice().isEmpty(),
                result.storedTwice().isEmpty() ? result.onPrimary().size() + " users of this run on the leader, each email once"
                        : "stored more than once: " + head(result.storedTwice())));
        verdicts.add(replicaHoldsEverything());
        verdicts.addAll(answers());
        verdicts.add(chatAcknowledgedStoredOnce());
        verdicts.add(chatDelivery());
        verdicts.add(chatErrors());
        verdicts.add(new Verdict("chat: the replica holds the room", result.chatOnReplica() == result.chatStored(),
                result.chatOnReplica() + " of " + result.chatStored() + " messages"));
        verdicts.add(failuresRecovered());
        verdicts.add(wholeAtEnd());
        verdicts.addAll(leaks());
        return verdicts;
    }

    private Verdict loadRan() {
        long gets = result.requests().stream().filter(Sample::isGet).count();
        long posts = result.requests().stream().filter(Sample::isPost).count();
        long acknowledged = result.chat().members.stream().mapToLong(m -> m.acknowledged.size()).sum();
        return new Verdict("the load ran", gets > 0 && posts > 0 && acknowledged > 0 && !result.failures().isEmpty(),
                String.format(Locale.ROOT, "%d requests (%d GET of known users, %d POST), %d chat messages acknowledged,"
                        + " %d failures injected", result.requests().size(), gets, posts, acknowledged,
                        result.failures().size()));
    }

    private Verdict acknowledgedWritesStored() {
        List<Sample> created = result.requests().stream().filter(s -> s.isPost() && s.status() == 201).toList();
        List<String> lost = created.stream().filter(s -> !Long.valueOf(s.id()).equals(result.onPrimary().get(s.email())))
                .map(s -> s.email() + " (id " + s.id() + ", leader has " + result.onPrimary().get(s.email()) + ")").toList();
        long unacknowledged = result.requests().stream()
                .filter(s -> s.isPost() && s.status() != 201 && result.onPrimary().containsKey(s.email())).count();
        return new Verdict("every acknowledged create is on the leader with its id", lost.isEmpty(),
                lost.isEmpty() ? created.size() + " creates answered 201, all stored with the id the client got; "
                        + unacknowledged + " not answered 201 but stored all the same (a commit whose answer was lost)"
                        : lost.size() + " of " + created.size() + " missing: " + head(lost));
    }

    private Verdict replicaHoldsEverything() {
        List<String> differ = result.onPrimary().entrySet().stream()
                .filter(e -> !Objects.equals(e.getValue(), result.onReplica().get(e.getKey())))
                .map(e -> e.getKey() + " (leader " + e.getValue() + ", replica " + result.onReplica().get(e.getKey()) + ")")
                .collect(Collectors.toCollection(ArrayList::new));
        result.onReplica().keySet().stream().filter(k -> !result.onPrimary().containsKey(k))
                .forEach(k -> differ.add(k + " (on the replica only)"));
        return new Verdict("the replica holds every user of the leader", differ.isEmpty(),
                differ.isEmpty() ? result.onReplica().size() + " of " + result.onPrimary().size() + " users, the same ids"
                        : differ.size() + " differ: " + head(differ));
    }

    /**
     * The answers: each failure's stretch by the rules of its scenario (ScenarioRun.statusViolations: 503 problem+json
     * with Retry-After while the leader changes; 502/504 for at most 4 creates without a key in flight on a killed
     * instance), everything else by the rule for no failure (200 and 201 only).
     */
    private List<Verdict> answers() {
        List<Verdict> verdicts = new ArrayList<>();
        Map<Injected, List<Sample>> stretches = new LinkedHashMap<>();
        List<Sample> calm = new ArrayList<>();
        for (Sample s : result.requests()) {
            Injected in = stretchOf(s);
            if (in == null) {
                calm.add(s);
            } else {
                stretches.computeIfAbsent(in, k -> new ArrayList<>()).add(s);
            }
        }
        List<String> calmViolations = ScenarioRun.statusViolations(null, null, calm);
        verdicts.add(new Verdict("answers outside the failures: 200 and 201 only", calmViolations.isEmpty(),
                calmViolations.isEmpty() ? calm.size() + " requests, " + statuses(calm) : shorten(calmViolations)));
        for (Injected failure : result.failures()) {
            List<Sample> in = stretches.getOrDefault(failure, List.of());
            List<String> violations = ScenarioRun.statusViolations(failure.scenario(), failure.target(), in);
            verdicts.add(new Verdict(String.format(Locale.ROOT, "answers during %s at %.0f s, by the failure contract",
                    failure.label(), failure.atMs() / 1000), violations.isEmpty(),
                    violations.isEmpty() ? in.size() + " requests, " + statuses(in) : shorten(violations)));
        }
        return verdicts;
    }

    /** The failure whose stretch (from its command to whole again + settle) the request overlaps, if any. */
    Injected stretchOf(Sample s) {
        for (Injected failure : result.failures()) {
            if (s.startMs() < failure.untilMs() && s.endMs() > failure.atMs()) {
                return failure;
            }
        }
        return null;
    }

    private Verdict chatAcknowledgedStoredOnce() {
        List<String> wrong = new ArrayList<>();
        long acknowledged = 0;
        for (ChatMember member : result.chat().members) {
            for (Map.Entry<String, Long> ack : Map.copyOf(member.acknowledged).entrySet()) {
                acknowledged++;
                List<Long> stored = result.chatOnPrimary().get(member.client.user + " " + ack.getKey());
                if (stored == null || stored.size() != 1 || stored.get(0) != ack.getValue().longValue()) {
                    wrong.add(member.client.user + " " + ack.getKey() + " acknowledged as " + ack.getValue() + ", stored as "
                            + stored);
                }
            }
        }
        long unacknowledged = result.chat().members.stream().mapToLong(m -> m.unacknowledged.size()).sum();
        return new Verdict("chat: every acknowledged message stored once, with its id", wrong.isEmpty(),
                wrong.isEmpty() ? acknowledged + " acknowledged, each stored once; " + result.chatStored() + " stored in all; "
                        + unacknowledged + " sent but not acknowledged when the run ended" : head(wrong));
    }

    private Verdict chatDelivery() {
        List<String> wrong = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        for (ChatMember member : result.chat().members) {
            List<Long> ids = member.client.ids();
            for (int i = 0; i < ids.size(); i++) {
                if (ids.get(i) != i + 1) {
                    wrong.add(member.client.user + ": id " + ids.get(i) + " at position " + (i + 1)
                            + (i > 0 ? " after " + ids.get(i - 1) : ""));
                    break;
                }
            }
            if (!member.acknowledgedTwice.isEmpty()) {
                wrong.add(member.client.user + " got its own message again: " + head(member.acknowledgedTwice));
            }
            seen.add(member.client.user + " " + ids.size());
        }
        return new Verdict("chat: each client got the room's messages once each, in order, without a gap", wrong.isEmpty(),
                wrong.isEmpty() ? "messages received: " + String.join(", ", seen) + " (of " + result.chatStored() + " stored)"
                        : head(wrong));
    }

    /** Error frames: only 503 (the primary could not store a message: send it again), and only while the leader changes. */
    private Verdict chatErrors() {
        List<String> wrong = new ArrayList<>();
        Map<Integer, Integer> errors = new java.util.TreeMap<>();
        for (ChatMember member : result.chat().members) {
            member.errors.forEach((status, n) -> errors.merge(status, n, Integer::sum));
            if (member.failure != null) {
                wrong.add(member.client.user + " stopped: " + member.failure);
            }
            for (ChatMember.Event event : List.copyOf(member.events)) {
                if (!event.what().startsWith("error ")) {
                    continue;
                }
                Injected during = null;
                for (Injected failure : result.failures()) {
                    if (event.atMs() >= failure.atMs() && event.atMs() <= failure.untilMs()) {
                        during = failure;
                    }
                }
                if (!event.what().startsWith("error 503") || during == null || !during.scenario().hitsLeader()) {
                    wrong.add(String.format(Locale.ROOT, "%s at %.1f s: %s%s", member.client.user, event.atMs() / 1000,
                            event.what(), during == null ? " (no failure)" : " (during " + during.label() + ")"));
                }
            }
        }
        int reconnects = result.chat().members.stream().mapToInt(m -> m.reconnects).sum();
        return new Verdict("chat: error frames only 503, only while the leader changes", wrong.isEmpty(),
                wrong.isEmpty() ? "error frames by status " + errors + "; " + reconnects + " reconnects" : head(wrong));
    }

    private Verdict failuresRecovered() {
        List<String> problems = result.failures().stream().filter(f -> f.problem() != null)
                .map(f -> f.label() + ": " + f.problem()).toList();
        String kinds = result.failures().stream().map(f -> f.scenario().id).distinct().collect(Collectors.joining(", "));
        return new Verdict("every failure undone by the runner, the topology whole again", problems.isEmpty(),
                problems.isEmpty() ? result.failures().size() + " failures (" + kinds + ")" : head(problems));
    }

    private Verdict wholeAtEnd() {
        List<String> serving = instances.subList(0, instances.size() - 1);
        boolean nginx = result.nginxServing().keySet().containsAll(serving);
        return new Verdict("the topology whole at the end, nginx serving from " + String.join(" and ", serving),
                result.notWholeAtEnd().isEmpty() && nginx,
                (result.notWholeAtEnd().isEmpty() ? "every node up, both members ready" : "missing: " + result.notWholeAtEnd())
                        + "; GET /host through nginx served by " + result.nginxServing());
    }

    private List<Verdict> leaks() {
        List<Verdict> verdicts = new ArrayList<>();
        for (LeakCheck.Comparison c : comparisons) {
            if (c.verdict() == LeakCheck.Verdict.NOT_COMPARED || c.verdict() == LeakCheck.Verdict.REPORTED) {
                continue; // the report lists them, with why
            }
            verdicts.add(new Verdict(String.format("no leak: %s, %s", c.subject(), c.resource()),
                    c.verdict() == LeakCheck.Verdict.PASS, String.format(Locale.ROOT, "%.1f in the first quarter, %.1f in"
                            + " the last (%+.1f %%)", c.first(), c.last(), c.growthPct())));
        }
        return verdicts;
    }

    /** Requests by kind and status: "GET {200=…}, GET-OWN {…}, POST+key {…}, POST {…}". */
    static String statuses(List<Sample> samples) {
        Map<String, Map<Integer, Long>> byKind = new LinkedHashMap<>();
        for (Sample s : samples) {
            byKind.computeIfAbsent(SoakReport.kind(s), k -> new java.util.TreeMap<>()).merge(s.status(), 1L, Long::sum);
        }
        return byKind.toString();
    }

    private static String shorten(List<String> violations) {
        return violations.stream().map(v -> v.length() > 600 ? v.substring(0, 600) + " …" : v).collect(Collectors.joining("; "));
    }

    private static String head(List<String> items) {
        return items.size() <= 10 ? String.join("; ", items) : String.join("; ", items.subList(0, 10)) + "; … ("
                + items.size() + " in all)";
    }
}
