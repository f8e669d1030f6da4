package org.acme.users.edge;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.Arrays;

/**
 * The API's request time as a Prometheus histogram with a small fixed set of buckets, so that Prometheus can compute
 * every instance's p50 and p99 (histogram_quantile over the rate of http_server_requests_seconds_bucket), as it does
 * nginx's from the histogram nginx keeps itself (issue #22; docs/operations.md, "Monitoring"). Without it the timer publishes only its
 * count, sum and max.
 *
 * <p>The bounds, 1 ms to 5 s: nginx's own buckets (nginx/edge_metrics.lua) from 5 ms up, so that both hops'
 * quantiles are interpolated over the same intervals, plus 1 ms and 2.5 ms below them, where an instance's hot reads
 * fall (nginx's request time adds its own hop to them); 250 ms, the API's objective (monitoring/alerts.yml), is a
 * bound, so "p99 over the objective" is exact: more than 1 % of the requests above it. Anything over 5 s (a request
 * that waited out a failover) is only counted in +Inf: the quantile then says 5 s, enough to say "far over".
 *
 * <p>12 buckets and +Inf: 13 series more for each combination of method, route template, status and outcome the API
 * has answered (MetricTags keeps those bounded); a WebSocket's upgrade (101) is timed until its handshake is answered,
 * a request like the others. The management interface's requests (/q/..., Prometheus' scrape, the
 * health checks) are not timed at all (Quarkus' quarkus.micrometer.binder.http-server.suppress-non-application-uris,
 * true by default). Percentile histograms (Micrometer's 70-odd buckets) stay off: this set is what is published.
 */
public class LatencyHistogram {

    static final String TIMER = "http.server.requests";
    /** The buckets' upper bounds, in seconds. */
    static final double[] BOUNDS_SECONDS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

    @Produces
    @Singleton
    MeterFilter apiLatencyBuckets() {
        DistributionStatisticConfig buckets = DistributionStatisticConfig.builder()
                .percentilesHistogram(false)
                // a timer's bounds are in nanoseconds (whole ones: Prometheus' le labels are these over 1e9)
                .serviceLevelObjectives(Arrays.stream(BOUNDS_SECONDS).map(s -> Math.round(s * 1e9)).toArray())
                .build();
        return new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                return id.getType() == Meter.Type.TIMER && TIMER.equals(id.getName()) ? buckets.merge(config) : config;
            }
        };
    }
}
