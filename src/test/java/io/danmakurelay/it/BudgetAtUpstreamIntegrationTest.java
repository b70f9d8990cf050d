package io.danmakurelay.it;

import static io.danmakurelay.it.RelayHarness.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.sim.SimulatorSettings;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The request budget as the upstream counts it: the simulator's exact counter (the most requests it received
 * in any sliding second, every endpoint together) never exceeds {@code upstream.requestsPerSecond}, through a
 * cold start that resolves 1,000 rooms with room_init, steady polling, and a restart against the now warm
 * simulator. The simulator bans at the same threshold, so a single excess request would also show as a 412.
 * Throughout, the simulator stalls for 800 ms every 1.6 s (requests arriving then are counted when the stall
 * ends, as behind a stalled event loop or a queue on the way): the bunching a loaded machine or a network
 * causes now and then, made certain. A budget that only spaces grants on its own clock fails here at once:
 * the second after a stall ends counts the 800 ms of requests held in it plus the 800 ms sent after it, 1.6 s
 * of sending, so even a relay slowed by a loaded machine to 32 requests/s exceeds 50 (checked with the
 * InFlightWindow disabled: the 400 ms / 1.2 s stall used before let a loaded relay pass without it, as it
 * reached only ~38/s). The relay's gate cannot exceed, by construction (InFlightWindow), so load on the
 * machine cannot make this flaky. The waits below only bound how long each phase may take.
 */
class BudgetAtUpstreamIntegrationTest {

  private static final int ROOMS = 1000;
  private static final int BUDGET = 50;
  private static final long STALL_MS = 800;
  private static final long STALL_EVERY_MS = 1600;

  @Test
  @DisplayName("No sliding second at the simulator holds more requests than the budget: cold start with 1,000 "
      + "room_inits, steady state, and a restart that polls known rooms at once without resolving them again")
  void budgetHoldsAtTheUpstream(@TempDir Path dir) throws Exception {
    SimulatorSettings settings = SimulatorSettings.defaults(0, ROOMS, 300, 11).withRateLimit(BUDGET, 60);
    ScheduledExecutorService stalls = Executors.newSingleThreadScheduledExecutor();
    try (RelayHarness h = new RelayHarness(settings)) {
      AtomicInteger stalled = new AtomicInteger();
      stalls.scheduleWithFixedDelay(() -> {
        h.sim.stall(STALL_MS);
        stalled.incrementAndGet();
      }, 0, STALL_EVERY_MS, TimeUnit.MILLISECONDS);
      String rooms = h.sim.roomIds().stream().map(String::valueOf).collect(Collectors.joining(","));
      List<String> flags = h.flags(dir.resolve("kafka"), "gethistory", "rooms=" + rooms,
          "upstream.requestsPerSecond=" + BUDGET, "poll.minIntervalMs=100", "upstream.timeoutMs=5000");

      // Cold: every room resolved by room_init, on connections the client has not opened yet.
      h.startRelay(flags);
      await("1,000 rooms resolved", Duration.ofSeconds(120),
          () -> notBanned(totals(h)).getLong("room_init_requests") >= ROOMS);
      long polls = totals(h).getLong("poll_requests");
      // Steady state: two seconds' worth of budget spent on polls.
      await("steady polling", Duration.ofSeconds(60),
          () -> notBanned(totals(h)).getLong("poll_requests") >= polls + 2L * BUDGET);
      JsonObject cold = totals(h);
      assertThat(stalled.get()).as("the simulator stalls").isGreaterThan(5);
      assertThat(cold.getInteger("max_requests_1s")).as("cold start + steady state").isLessThanOrEqualTo(BUDGET);
      assertThat(cold.getLong("requests_rejected_412")).isZero();

      // Warm: the simulator keeps its counter; the relay restarts with the resolved ids in the state topic.
      h.relay.close();
      h.relay = null;
      long initsBefore = totals(h).getLong("room_init_requests");
      long pollsBefore = totals(h).getLong("poll_requests");
      long startedNs = System.nanoTime();
      h.startRelay(flags);
      long deployedNs = System.nanoTime();
      await("first poll after the restart", Duration.ofSeconds(30),
          () -> totals(h).getLong("poll_requests") > pollsBefore);
      long firstPollNs = System.nanoTime();
      System.out.printf("restart: relay started in %d ms, first poll %d ms after that%n",
          (deployedNs - startedNs) / 1_000_000, (firstPollNs - deployedNs) / 1_000_000);
      await("steady polling after the restart", Duration.ofSeconds(60),
          () -> notBanned(totals(h)).getLong("poll_requests") >= pollsBefore + 3L * BUDGET);
      JsonObject warm = totals(h);
      assertThat(warm.getLong("room_init_requests")).as("known rooms are not resolved again").isEqualTo(initsBefore);
      assertThat(warm.getInteger("max_requests_1s")).as("warm restart + steady state").isLessThanOrEqualTo(BUDGET);
      assertThat(warm.getLong("requests_rejected_412")).isZero();
      System.out.printf("max requests in any sliding second at the simulator: %d (budget %d), %d requests%n",
          warm.getInteger("max_requests_1s"), BUDGET, warm.getLong("requests"));
    } finally {
      stalls.shutdownNow();
    }
  }

  /**
   * The simulator bans at the budget: a refused request means some sliding second held more. Failing at once
   * says so, where waiting on would only time out later (a banned relay resolves nothing for a while).
   */
  private static JsonObject notBanned(JsonObject totals) {
    if (totals.getLong("requests_rejected_412") > 0) {
      throw new AssertionError("the simulator refused " + totals.getLong("requests_rejected_412") + " requests (412):"
          + " the budget was exceeded at the upstream, max_requests_1s = " + totals.getInteger("max_requests_1s"));
    }
    return totals;
  }

  private static JsonObject totals(RelayHarness h) {
    return h.sim.stats().getJsonObject("totals");
  }
}
