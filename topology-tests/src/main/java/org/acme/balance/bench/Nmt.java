package org.acme.balance.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A JVM's native memory tracking summary ({@code jcmd PID VM.native_memory summary scale=KB}): committed KB. */
record Nmt(long totalKb, Map<String, Long> committedKb) {

    private static final Pattern TOTAL = Pattern.compile("^Total: reserved=\\d+KB, committed=(\\d+)KB");
    private static final Pattern CATEGORY = Pattern.compile("^-\\s+(.+?) \\(reserved=\\d+KB, committed=(\\d+)KB");

    /** The summary in FILE, when there is one (the JVM may have refused the request). */
    static Optional<Nmt> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        long total = -1;
        Map<String, Long> categories = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            Matcher m = TOTAL.matcher(line);
            if (m.find()) {
                total = Long.parseLong(m.group(1));
            }
            m = CATEGORY.matcher(line);
            if (m.find()) {
                categories.put(m.group(1).trim(), Long.parseLong(m.group(2)));
            }
        }
        return total < 0 ? Optional.empty() : Optional.of(new Nmt(total, categories));
    }
}
