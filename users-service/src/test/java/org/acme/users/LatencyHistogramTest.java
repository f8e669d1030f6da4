package org.acme.users;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.acme.testing.ChatClient;
import org.junit.jupiter.api.Test;

/**
 * The API's request time is published as a Prometheus histogram with the fixed buckets of
 * org.acme.users.edge.LatencyHistogram (what ./balance top and the InstanceP99OverObjective alert compute p50 and p99
 * from): on every series of the http_server_requests timer, and on no other metric.
 */
@QuarkusTest
@WithTestResource(PostgresPair.class)
class LatencyHistogramTest {

    /** The le labels, in the order Prometheus' text format gives them. */
    static final List<String> BOUNDS = List.of("0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
            "1.0", "2.5", "5.0", "+Inf");

    @Test
    void theApisRequestTimeIsAHistogramOfTheFixedBuckets() {
        given().get("/users/1").then().statusCode(200);
        for (int i = 0; i < 5; i++) {
            TestData.problem(given().get("/users/999999999").then(), 404);
        }
        given().get("/no/such/path").then().statusCode(404);
        Scrape scrape = Scrape.now();
        System.out.println("http_server_requests: " + scrape.counts.size() + " series, " + scrape.buckets.values()
                .stream().mapToInt(Map::size).sum() + " buckets");

        assertFalse(scrape.counts.isEmpty(), "no http_server_requests_seconds_count in /q/metrics");
        // each series has exactly the fixed buckets (13 series, +Inf included), none more
        assertEquals(List.copyOf(scrape.counts.keySet()), List.copyOf(scrape.buckets.keySet()), "the series with buckets");
        for (var series : scrape.buckets.entrySet()) {
            assertEquals(BOUNDS, new ArrayList<>(series.getValue().keySet()), "the buckets of " + series.getKey());
            double previous = 0;
            for (double count : series.getValue().values()) {
                assertTrue(count >= previous, "cumulative buckets: " + series.getValue());
                previous = count;
            }
            assertEquals(scrape.counts.get(series.getKey()), series.getValue().get("+Inf"),
                    "+Inf is the count of " + series.getKey());
        }
        // the requests above are in it, under their route template
        Map<String, Double> of404 = scrape.buckets(Map.of("method", "GET", "uri", "/users/{id}", "status", "404"));
        assertTrue(of404 != null && of404.get("+Inf") >= 5, "GET /users/{id} 404: " + scrape.buckets.keySet());
        assertTrue(scrape.buckets(Map.of("method", "GET", "uri", "/users/{id}", "status", "200")) != null,
                "GET /users/{id} 200: " + scrape.buckets.keySet());
        // and no other metric has buckets
        assertFalse(Pattern.compile("^(?!http_server_requests_seconds_bucket)\\w+_bucket\\{", Pattern.MULTILINE)
                .matcher(scrape.text).find(), "another metric publishes buckets");
    }

    @Test
    void aWebSocketsUpgradeIsTimedUntilItsHandshakeNotForTheSocketsLife() throws Exception {
        Map<String, String> upgrade = Map.of("method", "GET", "uri", "/chat/{room}", "status", "101");
        Scrape before = Scrape.now();
        try (ChatClient ignored = Chats.join("histogram-" + UUID.randomUUID(), "ada")) {
            Thread.sleep(1500);
        }
        Scrape after = Scrape.now();
        // one upgrade more, timed as a request (with buckets), for well under the 1.5 s the socket lived
        Map<String, Double> buckets = after.buckets(upgrade);
        assertTrue(buckets != null, "the upgrade's buckets: " + after.buckets.keySet());
        Map<String, Double> was = before.buckets(upgrade);
        assertEquals(1.0, buckets.get("+Inf") - (was == null ? 0 : was.get("+Inf")), "upgrades counted");
        double time = after.sum(upgrade) - before.sum(upgrade);
        assertTrue(time < 1.0, "the upgrade's time: " + time + " s");
    }

    /** The http_server_requests samples of one scrape of /q/metrics, each series by its labels (le apart). */
    static final class Scrape {
        static final Pattern SAMPLE = Pattern.compile(
                "^http_server_requests_seconds_(bucket|count|sum)\\{((?:[^\"}]|\"[^\"]*\")*)\\} (\\S+)$",
                Pattern.MULTILINE); // (a label value may hold a brace: uri="/users/{id}")
        static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

        final String text;
        final Map<Map<String, String>, Map<String, Double>> buckets = new LinkedHashMap<>();
        final Map<Map<String, String>, Double> counts = new LinkedHashMap<>();
        final Map<Map<String, String>, Double> sums = new LinkedHashMap<>();

        private Scrape(String text) {
            this.text = text;
            Matcher m = SAMPLE.matcher(text);
            while (m.find()) {
                Map<String, String> labels = new TreeMap<>();
                Matcher l = LABEL.matcher(m.group(2));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
                double value = Double.parseDouble(m.group(3));
                switch (m.group(1)) {
                    case "count" -> counts.put(labels, value);
                    case "sum" -> sums.put(labels, value);
                    default -> {
                        String le = labels.remove("le");
                        buckets.computeIfAbsent(labels, k -> new LinkedHashMap<>()).put(le, value);
                    }
                }
            }
        }

        static Scrape now() {
            return new Scrape(given().get(Management.url("/metrics")).then().statusCode(200).extract().asString());
        }

        /** The buckets of the series with these labels (and any others), or null. */
        Map<String, Double> buckets(Map<String, String> match) {
            return buckets.entrySet().stream().filter(e -> e.getKey().entrySet().containsAll(match.entrySet()))
                    .map(Map.Entry::getValue).findFirst().orElse(null);
        }

        double sum(Map<String, String> match) {
            return sums.entrySet().stream().filter(e -> e.getKey().entrySet().containsAll(match.entrySet()))
                    .mapToDouble(Map.Entry::getValue).sum();
        }
    }
}
