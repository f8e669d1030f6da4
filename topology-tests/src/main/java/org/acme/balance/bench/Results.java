package org.acme.balance.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The measurements of one bench other than load runs, {@code results.tsv}: a key, then one or more values, a line
 * each; a key may come on several lines (three start times, one lag sample a line).
 */
final class Results {

    private final Map<String, List<List<String>>> lines = new LinkedHashMap<>();

    static Results read(Path file) {
        Results results = new Results();
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.isBlank()) {
                    continue;
                }
                String[] fields = line.split("\t", -1);
                results.lines.computeIfAbsent(fields[0], k -> new ArrayList<>())
                        .add(List.of(Arrays.copyOfRange(fields, 1, fields.length)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return results;
    }

    /** The values of every line of KEY, in order. */
    List<List<String>> lines(String key) {
        return lines.getOrDefault(key, List.of());
    }

    /** The first value of every line of KEY. */
    List<String> all(String key) {
        return lines(key).stream().map(values -> values.isEmpty() ? "" : values.get(0)).toList();
    }

    List<Double> numbers(String key) {
        return all(key).stream().map(Double::parseDouble).toList();
    }

    Optional<String> first(String key) {
        List<String> all = all(key);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
    }

    String get(String key) {
        return first(key).orElse("?");
    }

    Optional<Double> number(String key) {
        return first(key).map(String::trim).filter(v -> !v.isEmpty()).map(Double::parseDouble);
    }
}
