package org.acme.balance.soak;

import java.nio.file.Path;
import java.util.List;
import org.acme.balance.topology.LocalTopology;

/**
 * {@code ./balance soak [MINUTES]} (infra/balance/soak.sh): a soak of the topology the user started (its BALANCE_HOME
 * and BALANCE_PORT_OFFSET), then the report OUT_DIR/benchmarks-soak.md with its chart, and every request in WORK_DIR.
 * Prints every check; exits 1 when one failed, naming it. Usage: {@code SoakMain MINUTES OUT_DIR WORK_DIR}.
 */
public final class SoakMain {

    private SoakMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: SoakMain MINUTES OUT_DIR WORK_DIR");
            System.exit(2);
        }
        Path root = Path.of("").toAbsolutePath();
        SoakSettings settings = SoakSettings.forMinutes(Double.parseDouble(args[0]));
        Outcome outcome = run(LocalTopology.ofUser(root), settings, root, Path.of(args[1]), Path.of(args[2]),
                "`./balance soak " + SoakSettings.minutesText(settings.minutes()) + "`");
        System.exit(outcome.failed().isEmpty() ? 0 : 1);
    }

    /** The report written, and the checks ("check: what was seen") that held and that failed (empty: all held). */
    public record Outcome(Path report, List<String> held, List<String> failed) {
    }

    /** Runs the soak, checks it, writes the report (OUT/benchmarks-soak.md, OUT/benchmarks/soak.png) and prints the verdicts. */
    public static Outcome run(LocalTopology topology, SoakSettings settings, Path root, Path out, Path work, String writtenBy)
            throws Exception {
        SoakResult result = new Soak(topology, settings).run();
        SoakChecks checks = new SoakChecks(result, result.instances());
        List<SoakChecks.Verdict> verdicts = checks.verdicts();
        Path page = new SoakReport(result, checks, verdicts, root).write(out, "benchmarks-soak", work, writtenBy);
        verdicts.forEach(v -> System.out.println((v.held() ? "  held:   " : "  FAILED: ") + v.check() + ": " + v.detail()));
        List<SoakChecks.Verdict> failed = verdicts.stream().filter(v -> !v.held()).toList();
        System.out.printf("soak: %d checks, %d held, %d failed; report %s%n", verdicts.size(), verdicts.size() - failed.size(),
                failed.size(), page);
        if (!failed.isEmpty()) {
            System.out.println("soak: FAILED:\n" + SoakReport.failures(failed));
        }
        return new Outcome(page, verdicts.stream().filter(SoakChecks.Verdict::held).map(v -> v.check() + ": " + v.detail())
                .toList(), failed.stream().map(v -> v.check() + ": " + v.detail()).toList());
    }
}
