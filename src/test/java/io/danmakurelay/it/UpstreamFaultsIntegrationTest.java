package io.danmakurelay.it;

import static io.danmakurelay.it.RelayHarness.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.sim.FaultMode;
import io.danmakurelay.sim.SimulatorSettings;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every upstream fault the simulator can inject, served in sequence to one real relay: each is counted under
 * its outcome, backed off as the scheduler says, crashes nothing, and Kafka still matches the ground truth.
 */
class UpstreamFaultsIntegrationTest {

  private static final long ROOM = 1000001;
  private static final long OTHER = 1000002;
  private static final long DOOMED = 1000003;
  /** room_init answers 60004 for it: the simulator has no such room. */
  private static final long MISSING = 99_999_999;
  private static final long BACKOFF_INITIAL_MS = 600;
  private static final long BACKOFF_MAX_MS = 2400;
  private static final String[] FAILURES = {"http_error", "api_error", "timeout", "parse_error", "rate_limited"};

  @Test
  @DisplayName("each upstream fault is counted under its outcome, backs off its room (or every room under risk "
      + "control) while the rest keep polling, publishes nothing wrong, and a bad room becomes invalid")
  void everyFaultInSequence(@TempDir Path dir) throws Exception {
    // Slow rooms: even a risk-control pause leaves far fewer than 10 new messages per window, so no loss. No
    // identical repeats: ajax-msg items carry no id, and ListDeduper documents that a run of repeats cut by the
    // window's oldest edge may lose one repeat (never publish one twice); this test is about faults, and would
    // otherwise fail now and then on that documented ambiguity (ListDeduperTest covers repeats).
    SimulatorSettings settings = SimulatorSettings.defaults(0, 3, 2.0, 7).withTraffic(0.0, 0.1);
    try (RelayHarness h = new RelayHarness(settings)) {
      h.startRelay(h.flags(dir.resolve("kafka"), "ajax-msg",
          "rooms=" + ROOM + "," + OTHER + "," + DOOMED + "," + MISSING,
          "poll.strategy=fixed", "poll.intervalMs=200", "poll.minIntervalMs=100", "upstream.requestsPerSecond=40",
          // Far above a loaded machine's round trip, so that only the SLOW fault (60 s) is a timeout.
          "upstream.timeoutMs=3000", "backoff.initialMs=" + BACKOFF_INITIAL_MS, "backoff.maxMs=" + BACKOFF_MAX_MS));
      await("rooms resolved and polled", Duration.ofSeconds(20),
          () -> h.metric("danmaku_polls_total", "outcome=\"ok\"") >= 6);

      // room_init 60004: the room is invalid, never polled, and the relay carries on.
      await("room " + MISSING + " invalid", Duration.ofSeconds(20),
          () -> "invalid".equals(h.roomEntry(MISSING).getString("state")));
      // The gauge is refreshed once a second.
      await("one invalid room in the gauge", Duration.ofSeconds(20),
          () -> h.metric("danmaku_rooms", "state=\"invalid\"") == 1);

      retryFault(h, FaultMode.HTTP500, "http_error");
      retryFault(h, FaultMode.HTTP502, "http_error");
      retryFault(h, FaultMode.HTTP503, "http_error");
      retryFault(h, FaultMode.RESET, "http_error");
      retryFault(h, FaultMode.CODE_400, "api_error");
      retryFault(h, FaultMode.SLOW, "timeout");
      retryFault(h, FaultMode.TRUNCATED, "parse_error");
      retryFault(h, FaultMode.NONJSON, "parse_error");
      retryFault(h, FaultMode.WRONGTYPES, "parse_error");
      // 10 MB against upstream.maxBodyBytes (1 MiB): cut off by the bounded read while streaming, not
      // buffered whole and then parsed.
      assertThat(retryFault(h, FaultMode.HUGE, "parse_error")).contains("answer body over 1048576 bytes");
      assertThat(h.get("/health").statusCode()).isEqualTo(200);

      emptyData(h);

      riskFault(h, FaultMode.HTTP412);
      riskFault(h, FaultMode.CODE_412);
      riskFault(h, FaultMode.CODE_352);

      // Let the relay catch up on everything generated, then make one room invalid through a poll answer.
      h.sim.pause();
      long generated = h.sim.stats().getJsonObject("totals").getLong("generated");
      try {
        await("the relay published all " + generated, Duration.ofSeconds(30), () -> h.publishedPerApi() >= generated);
      } catch (AssertionError | RuntimeException notAll) {
        StringBuilder perRoom = new StringBuilder();
        for (long room : h.sim.roomIds()) {
          JsonObject entry = h.roomEntry(room);
          perRoom.append(' ').append(room).append(": generated ").append(h.sim.messages(room).size())
              .append(", published ").append(entry == null ? null : entry.getValue("messages_published"))
              .append(", gaps ").append(entry == null ? null : entry.getValue("gaps"));
        }
        throw new AssertionError("not every message was published:" + perRoom + "; danmaku_gaps_total "
            + h.metric("danmaku_gaps_total", ""), notAll);
      }
      double apiErrors = h.metric("danmaku_polls_total", "outcome=\"api_error\"");
      h.sim.fault(DOOMED, FaultMode.ROOMID, 1);
      await("room " + DOOMED + " invalid", Duration.ofSeconds(20),
          () -> "invalid".equals(h.roomEntry(DOOMED).getString("state")));
      assertThat(h.metric("danmaku_polls_total", "outcome=\"api_error\"")).isEqualTo(apiErrors + 1);
      await("two invalid rooms in the gauge", Duration.ofSeconds(20),
          () -> h.metric("danmaku_rooms", "state=\"invalid\"") == 2);
      long doomedRequests = h.simRequests(DOOMED);
      long otherRequests = h.simRequests(OTHER);
      await("room " + OTHER + " polled 5 more times", Duration.ofSeconds(20),
          () -> h.simRequests(OTHER) >= otherRequests + 5);
      assertThat(h.simRequests(DOOMED)).as("polls of an invalid room").isEqualTo(doomedRequests);

      assertThat(h.get("/health").statusCode()).isEqualTo(200);
      h.assertKafkaMatchesGroundTruth(h.relay.bootstrapServers(), "danmaku");
    }
  }

  /**
   * A retryable fault on {@link #ROOM}: counted once under {@code outcome}, the room in backoff for at least
   * backoff.initialMs and not polled meanwhile, the other room polled all along, then the room back. Returns
   * the problem /api/rooms showed.
   */
  private static String retryFault(RelayHarness h, FaultMode mode, String outcome) throws Exception {
    await("room " + ROOM + " polling before " + mode, Duration.ofSeconds(20),
        () -> "polling".equals(h.roomEntry(ROOM).getString("state")));
    double before = h.metric("danmaku_polls_total", "outcome=\"" + outcome + "\"");
    long ordered = System.currentTimeMillis();
    h.sim.fault(ROOM, mode, 1);
    await(mode + " counted as " + outcome, Duration.ofSeconds(20),
        () -> h.metric("danmaku_polls_total", "outcome=\"" + outcome + "\"") > before);
    assertThat(h.metric("danmaku_polls_total", "outcome=\"" + outcome + "\"")).as(mode.name()).isEqualTo(before + 1);

    JsonObject entry = h.roomEntry(ROOM);
    long roomRequests = h.simRequests(ROOM);
    long otherRequests = h.simRequests(OTHER);
    assertThat(entry.getString("state")).as("state after " + mode).isEqualTo("backoff");
    String problem = entry.getString("problem");
    assertThat(problem).startsWith(outcome);
    long backoffUntil = entry.getLong("backoff_until");
    assertThat(backoffUntil).as("backoff after " + mode).isGreaterThanOrEqualTo(ordered + BACKOFF_INITIAL_MS);

    await("room " + ROOM + " polls again after " + mode, Duration.ofSeconds(20),
        () -> "polling".equals(h.roomEntry(ROOM).getString("state")));
    assertThat(h.roomEntry(ROOM).getLong("last_poll_at")).as("first poll after the backoff")
        .isGreaterThanOrEqualTo(backoffUntil);
    assertThat(h.simRequests(ROOM)).as("polls of the room in backoff").isLessThanOrEqualTo(roomRequests + 2);
    assertThat(h.simRequests(OTHER) - otherRequests).as("polls of another room meanwhile").isGreaterThanOrEqualTo(2);
    return problem;
  }

  /** {@code {"code":0,"data":{}}} is a fine, empty answer: counted ok, no failure, no backoff. */
  private static void emptyData(RelayHarness h) throws Exception {
    double failures = failures(h);
    long served = h.sim.stats().getJsonObject("totals").getLong("faults_served");
    long requests = h.simRequests(ROOM);
    h.sim.fault(ROOM, FaultMode.EMPTYDATA, 1);
    await("empty data served and the room polled once more", Duration.ofSeconds(20),
        () -> h.sim.stats().getJsonObject("totals").getLong("faults_served") > served
            && h.simRequests(ROOM) >= requests + 2);
    assertThat(failures(h)).as("failures counted for an empty answer").isEqualTo(failures);
    assertThat(h.roomEntry(ROOM).getString("state")).isEqualTo("polling");
  }

  /** A risk-control fault: counted rate_limited, /health DEGRADED, and no room polled until the pause ends. */
  private static void riskFault(RelayHarness h, FaultMode mode) throws Exception {
    await("no risk control before " + mode, Duration.ofSeconds(20),
        () -> h.get("/health").statusCode() == 200);
    double before = h.metric("danmaku_polls_total", "outcome=\"rate_limited\"");
    h.sim.fault(ROOM, mode, 1);
    await(mode + " counted as rate_limited", Duration.ofSeconds(20),
        () -> h.metric("danmaku_polls_total", "outcome=\"rate_limited\"") > before);
    JsonObject health = new JsonObject(h.get("/health").body());
    assertThat(health.getString("status")).isEqualTo("DEGRADED");
    long pauseUntil = health.getJsonObject("poller").getLong("risk_control_until");
    assertThat(pauseUntil - System.currentTimeMillis()).as("pause left").isGreaterThan(BACKOFF_INITIAL_MS);
    long requests = h.sim.stats().getJsonObject("totals").getLong("poll_requests");
    await("the pause nearly over", Duration.ofSeconds(20), () -> System.currentTimeMillis() >= pauseUntil - 150);
    // Only requests already in flight when the ban hit (one per room at most) may still arrive.
    assertThat(h.sim.stats().getJsonObject("totals").getLong("poll_requests") - requests)
        .as("poll requests during the pause after " + mode).isLessThanOrEqualTo(3);
    double ok = h.metric("danmaku_polls_total", "outcome=\"ok\"");
    await("polling resumes after " + mode, Duration.ofSeconds(20),
        () -> h.metric("danmaku_polls_total", "outcome=\"ok\"") >= ok + 3);
  }

  private static double failures(RelayHarness h) throws Exception {
    double sum = 0;
    for (String outcome : FAILURES) {
      sum += h.metric("danmaku_polls_total", "outcome=\"" + outcome + "\"");
    }
    return sum;
  }
}
