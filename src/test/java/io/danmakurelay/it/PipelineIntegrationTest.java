package io.danmakurelay.it;

import static io.danmakurelay.it.RelayHarness.await;
import static io.danmakurelay.it.RelayHarness.header;
import static io.danmakurelay.it.RelayHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.sim.SimMessage;
import io.danmakurelay.sim.SimulatorSettings;
import io.danmakurelay.upstream.DanmakuList;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole path for real: simulator → relay → embedded Kafka broker → a Kafka consumer, compared message
 * by message with the simulator's ground truth.
 */
class PipelineIntegrationTest {

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"ajax-msg", "gethistory"})
  @DisplayName("every generated message reaches Kafka exactly once, in order, field by field, repeats and admins included")
  void everyMessageExactlyOnce(String api, @TempDir Path dir) throws Exception {
    SimulatorSettings settings = SimulatorSettings.defaults(0, 6, 14.0, 11).withTraffic(0.2, 0.1);
    try (RelayHarness h = new RelayHarness(settings)) {
      h.sim.pause();
      // Rooms 1 and 2 are short ids: the relay must resolve them and publish under the real ids.
      h.startRelay(h.flags(dir.resolve("kafka"), api,
          "rooms=1,2,1000003,1000004,1000005,1000006",
          "upstream.requestsPerSecond=60", "poll.strategy=fixed", "poll.intervalMs=150", "poll.minIntervalMs=100"));
      await("all rooms resolved", Duration.ofSeconds(20),
          () -> !h.get("/api/rooms").body().contains("\"room_id\":null"));
      h.sim.resume();
      await("150 messages generated", Duration.ofSeconds(60),
          () -> h.sim.stats().getJsonObject("totals").getLong("generated") >= 150);
      h.sim.pause();
      long generated = h.sim.stats().getJsonObject("totals").getLong("generated");
      await("the relay published all " + generated, Duration.ofSeconds(30), () -> h.publishedPerApi() >= generated);

      List<ConsumerRecord<String, byte[]>> records =
          RelayHarness.consume(h.relay.bootstrapServers(), "danmaku", generated);
      assertThat(records).hasSize((int) generated);

      Map<String, List<String>> seen = new HashMap<>();
      Set<String> ids = new HashSet<>();
      Map<Long, Long> lastSeq = new HashMap<>();
      for (ConsumerRecord<String, byte[]> r : records) {
        JsonObject v = json(r);
        long expectedSeq = lastSeq.merge(v.getLong("room_id"), 1L, Long::sum);
        assertThat(v.getLong("seq")).as("seq of room %s in Kafka order", v.getLong("room_id")).isEqualTo(expectedSeq);
        assertThat(r.key()).isEqualTo(Long.toString(v.getLong("room_id")));
        assertThat(header(r, "source")).isEqualTo(api);
        assertThat(header(r, "schema")).isEqualTo("1");
        assertThat(ids.add(v.getString("id"))).as("id %s is unique", v.getString("id")).isTrue();
        seen.computeIfAbsent(v.getLong("room_id") + "/" + v.getString("list"), k -> new ArrayList<>())
            .add(v.getLong("uid") + "|" + v.getString("text") + "|" + v.getString("timeline"));
      }
      Map<String, List<String>> truth = new HashMap<>();
      int repeats = 0;
      int admins = 0;
      for (long room : h.sim.roomIds()) {
        for (SimMessage m : h.sim.messages(room)) {
          truth.computeIfAbsent(room + "/" + m.list().wireName(), k -> new ArrayList<>())
              .add(m.uid() + "|" + m.text() + "|" + m.timeline());
          repeats += m.repeat() ? 1 : 0;
          admins += m.list() == DanmakuList.ADMIN ? 1 : 0;
        }
      }
      assertThat(repeats).as("the run had identical repeats").isPositive();
      assertThat(admins).as("the run had admin messages").isPositive();
      assertThat(seen).isEqualTo(truth);

      checkOneRecordFieldByField(h, records, api);
    }
  }

  private static void checkOneRecordFieldByField(RelayHarness h, List<ConsumerRecord<String, byte[]>> records,
      String api) {
    JsonObject v = json(records.get(records.size() - 1));
    long room = v.getLong("room_id");
    SimMessage truth = h.sim.messages(room).stream()
        .filter(m -> m.text().equals(v.getString("text")) && m.uid() == v.getLong("uid"))
        .findFirst().orElseThrow();
    assertThat(v.fieldNames()).containsExactlyInAnyOrder(
        "room_id", "id", "list", "uid", "nickname", "text", "timeline", "ts", "fetched_at", "raw", "seq");
    assertThat(v.getString("nickname")).isEqualTo(truth.nickname());
    assertThat(v.getString("timeline")).isEqualTo(truth.timeline());
    assertThat(v.getLong("ts")).isEqualTo(truth.tsMs() / 1000 * 1000);
    assertThat(v.getLong("fetched_at")).isGreaterThanOrEqualTo(truth.tsMs() / 1000 * 1000);
    JsonObject raw = v.getJsonObject("raw");
    assertThat(raw.getString("text")).isEqualTo(truth.text());
    assertThat(raw.getLong("uid")).isEqualTo(truth.uid());
    if ("gethistory".equals(api)) {
      assertThat(v.getString("id")).isEqualTo(truth.idStr());
      assertThat(raw.getJsonObject("check_info").getString("ct")).isEqualTo(truth.ct());
    } else {
      assertThat(raw.getString("rnd")).isEqualTo(truth.rnd());
      assertThat(raw.containsKey("id_str")).isFalse();
    }
  }
}
