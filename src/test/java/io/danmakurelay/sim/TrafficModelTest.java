package io.danmakurelay.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.danmakurelay.upstream.DanmakuList;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The traffic model")
class TrafficModelTest {

  static final long T0 = 1_764_388_800_000L;
  static final long ROOM1 = TrafficModel.FIRST_REAL_ID;

  static SimulatorSettings settings(int rooms, double totalRate, long seed) {
    return SimulatorSettings.defaults(0, rooms, totalRate, seed);
  }

  static List<SimMessage> ofList(List<SimMessage> all, DanmakuList list) {
    return all.stream().filter(m -> m.list() == list).toList();
  }

  static <T> List<T> last10(List<T> all) {
    return all.subList(Math.max(0, all.size() - 10), all.size());
  }

  @Test
  @DisplayName("shows the last 10 messages of each list, oldest first")
  void windowsAreTheLastTenOldestFirst() {
    TrafficModel model = new TrafficModel(settings(1, 20, 7).withTraffic(0.05, 0.3), T0);
    for (long t = T0; t <= T0 + 30_000; t += 700) {
      List<SimMessage> all = model.messages(ROOM1, t);
      assertThat(model.window(ROOM1, DanmakuList.ROOM, t)).containsExactlyElementsOf(last10(ofList(all, DanmakuList.ROOM)));
      assertThat(model.window(ROOM1, DanmakuList.ADMIN, t)).containsExactlyElementsOf(last10(ofList(all, DanmakuList.ADMIN)));
    }
    List<SimMessage> room = model.window(ROOM1, DanmakuList.ROOM, T0 + 30_000);
    List<SimMessage> admin = model.window(ROOM1, DanmakuList.ADMIN, T0 + 30_000);
    assertThat(room).hasSize(10);
    assertThat(admin).hasSize(10);
    assertThat(room).isSortedAccordingTo((a, b) -> Integer.compare(a.seq(), b.seq()));
    assertThat(room).allSatisfy(m -> assertThat(m.tsMs()).isLessThanOrEqualTo(T0 + 30_000));
  }

  @Test
  @DisplayName("an empty room answers with two empty lists")
  void emptyWindows() {
    TrafficModel model = new TrafficModel(settings(1, 0, 7), T0);
    assertThat(new JsonObject(model.pollBody(ROOM1, true, T0 + 60_000)))
        .isEqualTo(new JsonObject("{\"code\":0,\"message\":\"\",\"msg\":\"\",\"data\":{\"admin\":[],\"room\":[]}}"));
  }

  @Test
  @DisplayName("produces the same messages for the same seed, whenever the rooms are looked at")
  void deterministicAndIndependentOfPollTimes() {
    TrafficModel often = new TrafficModel(settings(5, 40, 42), T0);
    TrafficModel once = new TrafficModel(settings(5, 40, 42), T0);
    TrafficModel otherSeed = new TrafficModel(settings(5, 40, 43), T0);
    for (long t = T0; t <= T0 + 20_000; t += 333) {
      for (long room : often.realIds()) {
        often.pollBody(room, false, t);
      }
    }
    long end = T0 + 20_000;
    for (long room : often.realIds()) {
      assertThat(once.messages(room, end)).isEqualTo(often.messages(room, end)).isNotEmpty();
    }
    assertThat(otherSeed.messages(ROOM1, end)).isNotEqualTo(once.messages(ROOM1, end));
  }

  @Test
  @DisplayName("gives room k the rate total * k^-s / H(N, s), the first room the busiest")
  void zipfRates() {
    double[] rates = TrafficModel.zipfRates(50, 100, 1.1);
    assertThat(rates[0]).isGreaterThan(rates[1]);
    for (int k = 1; k < rates.length; k++) {
      assertThat(rates[k]).isLessThan(rates[k - 1]);
    }
    assertThat(rates[0] / rates[1]).isCloseTo(Math.pow(2, 1.1), within(1e-9));
    assertThat(java.util.Arrays.stream(rates).sum()).isCloseTo(100, within(1e-9));
    TrafficModel model = new TrafficModel(settings(50, 100, 1), T0);
    assertThat(model.rateOf(ROOM1)).isCloseTo(rates[0], within(1e-12));
    assertThat(model.rateOf(ROOM1 + 49)).isCloseTo(rates[49], within(1e-12));
  }

  @Test
  @DisplayName("generates about rate * seconds messages (Poisson), busier rooms more")
  void poissonCounts() {
    TrafficModel model = new TrafficModel(settings(3, 150, 5).withTraffic(0, 0.03), T0);
    long end = T0 + 200_000;
    List<TrafficModel.RoomSnapshot> rooms = model.snapshot(end, false);
    for (TrafficModel.RoomSnapshot r : rooms) {
      double expected = r.rate() * 200;
      assertThat((double) r.generated()).isCloseTo(expected, within(5 * Math.sqrt(expected)));
    }
    assertThat(rooms.get(0).generated()).isGreaterThan(rooms.get(1).generated());
    assertThat(rooms.get(1).generated()).isGreaterThan(rooms.get(2).generated());
  }

  @Test
  @DisplayName("sometimes repeats a message identically in the same second")
  void repeats() {
    TrafficModel model = new TrafficModel(settings(1, 50, 9), T0);
    List<SimMessage> all = model.messages(ROOM1, T0 + 100_000);
    List<SimMessage> repeats = all.stream().filter(SimMessage::repeat).toList();
    assertThat((double) repeats.size() / all.size()).isBetween(0.02, 0.09);
    for (SimMessage r : repeats) {
      SimMessage original = all.get(r.seq() - 1);
      assertThat(r.uid()).isEqualTo(original.uid());
      assertThat(r.text()).isEqualTo(original.text());
      assertThat(r.timeline()).isEqualTo(original.timeline());
      assertThat(r.rnd()).isEqualTo(original.rnd());
      assertThat(PayloadWriter.legacyItem(r, 1)).isEqualTo(PayloadWriter.legacyItem(original, 1));
      assertThat(r.idStr()).isNotEqualTo(original.idStr());
    }
  }

  @Test
  @DisplayName("puts a small fraction of messages, from a few admins, in the admin list")
  void admins() {
    TrafficModel model = new TrafficModel(settings(1, 50, 11), T0);
    List<SimMessage> all = model.messages(ROOM1, T0 + 100_000);
    List<SimMessage> admins = ofList(all, DanmakuList.ADMIN);
    assertThat((double) admins.size() / all.size()).isBetween(0.015, 0.05);
    assertThat(admins.stream().map(SimMessage::uid).distinct().count()).isBetween(1L, 3L);
    assertThat(ofList(all, DanmakuList.ROOM).stream().map(SimMessage::uid).distinct().count()).isGreaterThan(100);
    assertThat(new JsonObject(PayloadWriter.legacyItem(admins.get(0), 1)).getInteger("isadmin")).isEqualTo(1);
    assertThat(new JsonObject(PayloadWriter.legacyItem(all.stream().filter(m -> m.list() == DanmakuList.ROOM)
        .findFirst().orElseThrow(), 1)).getInteger("isadmin")).isZero();
  }

  @Test
  @DisplayName("changes a room's rate at run time: live rooms start talking, quiet rooms stop")
  void rateChanges() {
    TrafficModel model = new TrafficModel(settings(2, 0, 3), T0);
    assertThat(model.messages(ROOM1, T0 + 10_000)).isEmpty();
    model.setRate(ROOM1, 50, T0 + 10_000);
    int live = model.messages(ROOM1, T0 + 20_000).size();
    assertThat(live).isBetween(350, 650);
    assertThat(model.messages(ROOM1, T0 + 20_000)).allSatisfy(m -> assertThat(m.tsMs()).isGreaterThanOrEqualTo(T0 + 10_000));
    model.setRate(ROOM1, 0, T0 + 20_000);
    assertThat(model.messages(ROOM1, T0 + 60_000)).hasSize(live);
    assertThat(model.messages(ROOM1 + 1, T0 + 60_000)).isEmpty();
    assertThatThrownBy(() -> model.setRate(ROOM1, -1, T0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("pauses generation so a test can count exactly, and resumes it")
  void pauseAndResume() {
    TrafficModel model = new TrafficModel(settings(2, 100, 3), T0);
    model.pause(T0 + 5_000);
    int before = model.messages(ROOM1, T0 + 5_000).size();
    assertThat(model.messages(ROOM1, T0 + 50_000)).hasSize(before);
    assertThat(model.messages(ROOM1, T0 + 50_000)).allSatisfy(m -> assertThat(m.tsMs()).isLessThanOrEqualTo(T0 + 5_000));
    model.resume(T0 + 50_000);
    List<SimMessage> after = model.messages(ROOM1, T0 + 60_000);
    assertThat(after.size()).isGreaterThan(before);
    assertThat(after.subList(before, after.size())).allSatisfy(m -> assertThat(m.tsMs()).isGreaterThanOrEqualTo(T0 + 50_000));
  }

  @Test
  @DisplayName("stops keeping messages at the cap but keeps counting them")
  void messageCap() {
    SimulatorSettings s = new SimulatorSettings("127.0.0.1", 0, 2, 100, 1.1, 1, 0, 60, 0.05, 0.03, 10, 100);
    TrafficModel model = new TrafficModel(s, T0);
    List<TrafficModel.RoomSnapshot> rooms = model.snapshot(T0 + 60_000, true);
    long generated = rooms.stream().mapToLong(TrafficModel.RoomSnapshot::generated).sum();
    long kept = rooms.stream().mapToLong(r -> r.messages().size()).sum();
    assertThat(generated).isGreaterThan(1000);
    assertThat(kept).isEqualTo(100);
  }

  @Test
  @DisplayName("resolves short ids 1..10 and real ids to real ids, anything else to -1")
  void shortIds() {
    TrafficModel model = new TrafficModel(settings(20, 10, 3), T0);
    assertThat(model.resolve(1)).isEqualTo(ROOM1);
    assertThat(model.resolve(10)).isEqualTo(ROOM1 + 9);
    assertThat(model.resolve(11)).isEqualTo(-1);
    assertThat(model.resolve(ROOM1 + 19)).isEqualTo(ROOM1 + 19);
    assertThat(model.resolve(ROOM1 + 20)).isEqualTo(-1);
    assertThat(model.shortIdOf(ROOM1 + 9)).isEqualTo(10);
    assertThat(model.shortIdOf(ROOM1 + 10)).isZero();
    assertThat(model.isRealId(1)).isFalse();
  }

  @Test
  @DisplayName("writes tricky text so that both APIs decode to exactly the original, legacy in pure ASCII")
  void escapingRoundTrips() {
    TrafficModel model = new TrafficModel(settings(1, 30, 13), T0);
    List<String> texts = new ArrayList<>();
    boolean escapedSlash = false;
    for (long t = T0; t <= T0 + 300_000; t += 300) {
      List<SimMessage> expected = model.window(ROOM1, DanmakuList.ROOM, t);
      String legacy = model.pollBody(ROOM1, false, t);
      String modern = model.pollBody(ROOM1, true, t);
      assertThat(legacy.chars()).allSatisfy(c -> assertThat(c).isBetween(0x20, 0x7f));
      for (String body : List.of(legacy, modern)) {
        JsonArray room = new JsonObject(body).getJsonObject("data").getJsonArray("room");
        assertThat(room).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
          assertThat(room.getJsonObject(i).getString("text")).isEqualTo(expected.get(i).text());
          assertThat(room.getJsonObject(i).getString("nickname")).isEqualTo(expected.get(i).nickname());
          assertThat(room.getJsonObject(i).getLong("uid")).isEqualTo(expected.get(i).uid());
        }
      }
      expected.forEach(m -> texts.add(m.text()));
      escapedSlash |= legacy.contains("a\\/b\\/c");
    }
    assertThat(texts).contains("<img src=x onerror=alert(1)>", "line one\nline two", "😂😂😂");
    assertThat(escapedSlash).as("the legacy API writes / as \\/").isTrue();
  }

  @Test
  @DisplayName("formats the timeline in Beijing time with one-second resolution")
  void timeline() {
    assertThat(Timeline.format(1_764_388_800_000L)).isEqualTo("2025-11-29 12:00:00");
    assertThat(Timeline.format(1_764_388_800_999L)).isEqualTo("2025-11-29 12:00:00");
    assertThat(Timeline.format(1_764_345_599_000L)).isEqualTo("2025-11-28 23:59:59");
  }
}
