package io.danmakurelay.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmakurelay.upstream.DanmakuList;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@ExtendWith(VertxExtension.class)
@DisplayName("The simulator over HTTP")
class SimulatorHttpTest {

  static final long T0 = 1_764_388_800_000L;
  static final long ROOM1 = TrafficModel.FIRST_REAL_ID;
  static final String HISTORY = "/xlive/web-room/v1/dM/gethistory";
  static final String ROOMID_ERROR = "{\"code\":-400,\"message\":\"Key: 'HistoryReq.Roomid' Error:Field validation"
      + " for 'Roomid' failed on the 'required' tag\",\"ttl\":1}";
  static final Set<String> LEGACY_FIELDS = Set.of("text", "uid", "nickname", "timeline", "isadmin", "vip", "svip",
      "rank", "teamid", "rnd", "uname_color", "user_title", "guard_level", "bubble", "medal", "title", "user_level");
  static final Set<String> MODERN_EXTRA_FIELDS = Set.of("check_info", "id_str", "dm_type", "emoticon", "emots",
      "wealth_level", "reply", "user");

  final AtomicLong clock = new AtomicLong(T0);
  Vertx vertx;
  Simulator sim;
  WebClient client;

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    client = WebClient.create(vertx);
  }

  @AfterEach
  void tearDown() {
    client.close();
  }

  Future<Simulator> start(SimulatorSettings settings) {
    return Simulator.start(vertx, settings, clock::get).map(s -> sim = s);
  }

  static SimulatorSettings busy(int rooms) {
    return SimulatorSettings.defaults(0, rooms, 40, 42).withTraffic(0.05, 0.4);
  }

  Future<HttpResponse<Buffer>> history(Object room) {
    return client.get(sim.port(), "127.0.0.1", HISTORY + "?roomid=" + room + "&room_type=0").send();
  }

  Future<HttpResponse<Buffer>> ajax(Object room) {
    return client.post(sim.port(), "127.0.0.1", "/ajax/msg").sendForm(MultiMap.caseInsensitiveMultiMap().add("roomid", room.toString()));
  }

  Future<HttpResponse<Buffer>> roomInit(Object id) {
    return client.get(sim.port(), "127.0.0.1", "/room/v1/Room/room_init?id=" + id).send();
  }

  Future<HttpResponse<Buffer>> control(String body) {
    return client.post(sim.port(), "127.0.0.1", "/sim/control").sendBuffer(Buffer.buffer(body));
  }

  Future<JsonObject> stats(String query) {
    return client.get(sim.port(), "127.0.0.1", "/sim/stats" + query).send().map(HttpResponse::bodyAsJsonObject);
  }

  static <T> List<T> last10(List<T> all) {
    return all.subList(Math.max(0, all.size() - 10), all.size());
  }

  static List<SimMessage> expectedWindow(List<SimMessage> all, DanmakuList list) {
    return last10(all.stream().filter(m -> m.list() == list).toList());
  }

  static JsonObject json(HttpResponse<Buffer> r) {
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.getHeader("Content-Type")).startsWith("application/json");
    return r.bodyAsJsonObject();
  }

  @Test
  @DisplayName("gethistory answers the last 10 of each list, oldest first, with every modern field")
  void modernPayload(VertxTestContext ctx) {
    start(busy(3))
        .compose(s -> {
          clock.addAndGet(30_000);
          return history(ROOM1);
        })
        .map(r -> {
          JsonObject body = json(r);
          assertThat(body.fieldNames()).containsExactlyInAnyOrder("code", "message", "msg", "data");
          assertThat(body.getInteger("code")).isZero();
          assertThat(body.getString("message")).isEmpty();
          assertThat(body.getString("msg")).isEmpty();
          assertThat(body.getJsonObject("data").fieldNames()).containsExactlyInAnyOrder("admin", "room");
          List<SimMessage> truth = sim.messages(ROOM1);
          for (DanmakuList list : DanmakuList.values()) {
            JsonArray items = body.getJsonObject("data").getJsonArray(list.wireName());
            List<SimMessage> expected = expectedWindow(truth, list);
            assertThat(items).hasSize(10);
            for (int i = 0; i < items.size(); i++) {
              JsonObject item = items.getJsonObject(i);
              SimMessage m = expected.get(i);
              assertThat(item.fieldNames()).containsAll(LEGACY_FIELDS).containsAll(MODERN_EXTRA_FIELDS);
              assertLegacyFieldTypes(item);
              assertThat(item.getString("text")).isEqualTo(m.text());
              assertThat(item.getLong("uid")).isEqualTo(m.uid());
              assertThat(item.getString("nickname")).isEqualTo(m.nickname());
              assertThat(item.getString("timeline")).isEqualTo(m.timeline());
              assertThat(item.getInteger("isadmin")).isEqualTo(list == DanmakuList.ADMIN ? 1 : 0);
              JsonObject check = item.getJsonObject("check_info");
              assertThat(check.getLong("ts")).isEqualTo(m.tsMs() / 1000);
              assertThat(check.getString("ct")).matches("[0-9A-F]{8}");
              assertThat(item.getString("id_str")).isEqualTo(m.idStr());
              assertThat(item.getInteger("dm_type")).isZero();
              assertThat(item.getJsonObject("emoticon")).isNotNull();
              assertThat(item.containsKey("emots")).isTrue();
              assertThat(item.getInteger("wealth_level")).isNotNull();
              assertThat(item.getJsonObject("reply")).isNotNull();
              assertThat(item.getJsonObject("user").getLong("uid")).isEqualTo(m.uid());
            }
          }
          return body;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  static void assertLegacyFieldTypes(JsonObject item) {
    assertThat(item.getValue("text")).isInstanceOf(String.class);
    assertThat(item.getValue("uid")).isInstanceOf(Number.class);
    assertThat(item.getValue("nickname")).isInstanceOf(String.class);
    assertThat(item.getString("timeline")).matches("\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}");
    for (String intField : List.of("isadmin", "vip", "svip", "rank", "teamid", "guard_level", "bubble")) {
      assertThat(item.getValue(intField)).as(intField).isInstanceOf(Integer.class);
    }
    for (String stringField : List.of("rnd", "uname_color", "user_title")) {
      assertThat(item.getValue(stringField)).as(stringField).isInstanceOf(String.class);
    }
    assertThat(item.getValue("medal")).isInstanceOf(JsonArray.class);
    assertThat(item.getValue("title")).isInstanceOf(JsonArray.class);
    assertThat(item.getJsonArray("user_level").getValue(0)).isInstanceOf(Integer.class);
  }

  @Test
  @DisplayName("ajax/msg answers a form POST with the legacy fields only")
  void legacyPayload(VertxTestContext ctx) {
    start(busy(3))
        .compose(s -> {
          clock.addAndGet(30_000);
          return ajax(ROOM1 + 1);
        })
        .map(r -> {
          JsonObject body = json(r);
          assertThat(body.getInteger("code")).isZero();
          List<SimMessage> truth = sim.messages(ROOM1 + 1);
          for (DanmakuList list : DanmakuList.values()) {
            JsonArray items = body.getJsonObject("data").getJsonArray(list.wireName());
            List<SimMessage> expected = expectedWindow(truth, list);
            assertThat(items).hasSize(expected.size());
            for (int i = 0; i < items.size(); i++) {
              JsonObject item = items.getJsonObject(i);
              assertThat(item.fieldNames()).containsExactlyInAnyOrderElementsOf(LEGACY_FIELDS);
              assertLegacyFieldTypes(item);
              assertThat(item.getString("text")).isEqualTo(expected.get(i).text());
              assertThat(item.getString("rnd")).isEqualTo(expected.get(i).rnd());
              assertThat(item.getString("timeline")).isEqualTo(expected.get(i).timeline());
            }
          }
          assertThat(r.bodyAsString()).doesNotContainPattern("[^\\x00-\\x7f]");
          return body;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  @DisplayName("room_init resolves short and real ids, and answers 60004 for an unknown room")
  void roomInitResolution(VertxTestContext ctx) {
    start(busy(20))
        .compose(s -> roomInit(1))
        .compose(r -> {
          JsonObject body = json(r);
          assertThat(body.getInteger("code")).isZero();
          assertThat(body.getString("msg")).isEqualTo("ok");
          assertThat(body.getString("message")).isEqualTo("ok");
          JsonObject data = body.getJsonObject("data");
          assertThat(data.getLong("room_id")).isEqualTo(ROOM1);
          assertThat(data.getLong("short_id")).isEqualTo(1);
          assertThat(data.getInteger("live_status")).isEqualTo(1);
          assertThat(data.getLong("uid")).isPositive();
          return roomInit(ROOM1 + 4);
        })
        .compose(r -> {
          assertThat(json(r).getJsonObject("data").getLong("short_id")).isEqualTo(5);
          return roomInit(ROOM1 + 15);
        })
        .compose(r -> {
          JsonObject data = json(r).getJsonObject("data");
          assertThat(data.getLong("room_id")).isEqualTo(ROOM1 + 15);
          assertThat(data.getLong("short_id")).isZero();
          return roomInit(11);
        })
        .map(r -> {
          assertThat(json(r)).isEqualTo(new JsonObject(
              "{\"code\":60004,\"msg\":\"房间不存在\",\"message\":\"房间不存在\",\"data\":{}}"));
          return r;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  @DisplayName("poll endpoints refuse short, unknown and malformed room ids with the HistoryReq.Roomid error")
  void unknownRooms(VertxTestContext ctx) {
    JsonObject expected = new JsonObject(ROOMID_ERROR);
    start(busy(3))
        .compose(s -> history(1))
        .compose(r -> {
          assertThat(json(r)).isEqualTo(expected);
          return ajax(99_999_999);
        })
        .compose(r -> {
          assertThat(json(r)).isEqualTo(expected);
          return history("abc");
        })
        .compose(r -> {
          assertThat(json(r)).isEqualTo(expected);
          return client.get(sim.port(), "127.0.0.1", HISTORY).send();
        })
        .map(r -> {
          assertThat(json(r)).isEqualTo(expected);
          return r;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  @DisplayName("answers HTTP 412 with an HTML page above the rate limit, for the whole ban, then recovers")
  void riskControl(VertxTestContext ctx) {
    start(busy(3).withRateLimit(3, 60))
        .compose(s -> history(ROOM1))
        .compose(r -> history(ROOM1))
        .compose(r -> roomInit(1))
        .compose(r -> {
          assertThat(r.statusCode()).isEqualTo(200);
          return history(ROOM1);
        })
        .compose(r -> {
          assertThat(r.statusCode()).isEqualTo(412);
          assertThat(r.getHeader("Content-Type")).startsWith("text/html");
          assertThat(r.bodyAsString()).startsWith("<!DOCTYPE html>").contains("412");
          clock.addAndGet(59_000);
          return roomInit(1);
        })
        .compose(r -> {
          assertThat(r.statusCode()).as("still banned after 59 s").isEqualTo(412);
          clock.addAndGet(1_001);
          return history(ROOM1);
        })
        .compose(r -> {
          assertThat(json(r).getInteger("code")).isZero();
          return stats("");
        })
        .map(stats -> {
          JsonObject totals = stats.getJsonObject("totals");
          assertThat(totals.getLong("requests")).isEqualTo(6);
          assertThat(totals.getLong("requests_rejected_412")).isEqualTo(2);
          assertThat(totals.getLong("max_requests_1s")).isEqualTo(4);
          assertThat(totals.getLong("bans")).isEqualTo(1);
          return stats;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  @DisplayName("reports in /sim/stats exactly what it generated and served")
  void statsMatchWhatWasServed(VertxTestContext ctx) {
    List<JsonObject> answers = new ArrayList<>();
    start(busy(4))
        .compose(s -> {
          clock.addAndGet(5_000);
          return history(ROOM1);
        })
        .compose(r -> {
          answers.add(json(r));
          clock.addAndGet(700);
          return ajax(ROOM1);
        })
        .compose(r -> {
          answers.add(json(r));
          return history(ROOM1 + 1);
        })
        .compose(r -> roomInit(2))
        .compose(r -> stats("?messages=true"))
        .map(stats -> {
          JsonObject totals = stats.getJsonObject("totals");
          assertThat(totals.getLong("requests")).isEqualTo(4);
          assertThat(totals.getLong("poll_requests")).isEqualTo(3);
          assertThat(totals.getLong("room_init_requests")).isEqualTo(1);
          assertThat(totals.getLong("requests_rejected_412")).isZero();
          assertThat(totals.getBoolean("messages_complete")).isTrue();
          JsonArray rooms = stats.getJsonArray("rooms");
          assertThat(rooms).hasSize(4);
          long generated = 0;
          for (int i = 0; i < rooms.size(); i++) {
            JsonObject room = rooms.getJsonObject(i);
            assertThat(room.getLong("room_id")).isEqualTo(ROOM1 + i);
            assertThat(room.getLong("short_id")).isEqualTo(i + 1);
            assertThat(room.getJsonArray("messages")).hasSize(room.getInteger("generated"));
            assertThat(room.getLong("generated")).isEqualTo(room.getLong("generated_room") + room.getLong("generated_admin"));
            generated += room.getLong("generated");
          }
          assertThat(totals.getLong("generated")).isEqualTo(generated).isPositive();
          assertThat(rooms.getJsonObject(0).getLong("requests")).isEqualTo(2);
          assertThat(rooms.getJsonObject(1).getLong("requests")).isEqualTo(1);
          assertThat(rooms.getJsonObject(0).getDouble("rate")).isGreaterThan(rooms.getJsonObject(1).getDouble("rate"));

          JsonArray truth = rooms.getJsonObject(0).getJsonArray("messages");
          List<JsonObject> served = new ArrayList<>();
          answers.forEach(a -> a.getJsonObject("data").getJsonArray("room").forEach(o -> served.add((JsonObject) o)));
          assertThat(served).isNotEmpty();
          for (JsonObject item : served) {
            boolean found = truth.stream().map(JsonObject.class::cast).anyMatch(t ->
                t.getString("text").equals(item.getString("text")) && t.getLong("uid").equals(item.getLong("uid"))
                    && t.getString("timeline").equals(item.getString("timeline")) && t.getString("list").equals("room"));
            assertThat(found).as("served item %s is in the ground truth", item.encode()).isTrue();
          }
          JsonObject first = truth.getJsonObject(0);
          assertThat(first.fieldNames()).contains("list", "uid", "nickname", "text", "timeline", "ts", "id_str");
          return stats;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(FaultMode.class)
  @DisplayName("spoils exactly the ordered number of poll answers in each fault mode, then answers normally")
  void faultModes(FaultMode mode, VertxTestContext ctx) {
    start(busy(2))
        .compose(s -> {
          clock.addAndGet(10_000);
          return control(new JsonObject().put("op", "fault").put("room", ROOM1).put("mode", mode.wireName())
              .put("count", 1).encode());
        })
        .compose(r -> {
          assertThat(json(r).getBoolean("ok")).isTrue();
          Future<HttpResponse<Buffer>> poll = mode == FaultMode.SLOW
              ? client.get(sim.port(), "127.0.0.1", HISTORY + "?roomid=" + ROOM1).timeout(300).send()
              : history(ROOM1);
          return poll.transform(done -> {
            assertFault(mode, done.succeeded() ? done.result() : null, done.cause());
            return history(ROOM1);
          });
        })
        .compose(r -> {
          assertThat(json(r).getJsonObject("data").getJsonArray("room")).isNotEmpty();
          return stats("");
        })
        .map(stats -> {
          assertThat(stats.getJsonObject("totals").getLong("faults_served")).isEqualTo(1);
          assertThat(stats.getJsonArray("rooms").getJsonObject(0).getLong("faults")).isEqualTo(1);
          return stats;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  static void assertFault(FaultMode mode, HttpResponse<Buffer> r, Throwable failure) {
    if (mode == FaultMode.SLOW || mode == FaultMode.RESET) {
      assertThat(r).as("no answer in mode " + mode).isNull();
      assertThat(failure).isNotNull();
      return;
    }
    assertThat(r).as("an answer in mode " + mode + " (failure: " + failure + ")").isNotNull();
    String body = r.bodyAsString();
    switch (mode) {
      case HTTP412 -> {
        assertThat(r.statusCode()).isEqualTo(412);
        assertThat(r.getHeader("Content-Type")).startsWith("text/html");
      }
      case CODE_412 -> assertThat(json(r).getInteger("code")).isEqualTo(-412);
      case CODE_352 -> assertThat(json(r).getInteger("code")).isEqualTo(-352);
      case CODE_400 -> assertThat(json(r).getInteger("code")).isEqualTo(-400);
      case HTTP500 -> assertThat(r.statusCode()).isEqualTo(500);
      case HTTP502 -> assertThat(r.statusCode()).isEqualTo(502);
      case HTTP503 -> assertThat(r.statusCode()).isEqualTo(503);
      case TRUNCATED -> {
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(body).startsWith("{\"code\":0");
        assertThatThrownBy(() -> new JsonObject(body)).isInstanceOf(DecodeException.class);
      }
      case NONJSON -> {
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.getHeader("Content-Type")).startsWith("text/html");
        assertThatThrownBy(() -> new JsonObject(body)).isInstanceOf(DecodeException.class);
      }
      case HUGE -> {
        assertThat(r.body().length()).isEqualTo(SimulatorHttpVerticle.HUGE_BYTES);
        assertThat(json(r).getInteger("code")).isZero();
      }
      case WRONGTYPES -> {
        JsonObject data = json(r).getJsonObject("data");
        assertThat(data.getValue("admin")).isInstanceOf(String.class);
        assertThat(data.getJsonArray("room").getJsonObject(0).getValue("uid")).isInstanceOf(JsonObject.class);
      }
      case EMPTYDATA -> assertThat(json(r)).isEqualTo(new JsonObject("{\"code\":0,\"data\":{}}"));
      case ROOMID -> assertThat(json(r)).isEqualTo(new JsonObject(ROOMID_ERROR));
      default -> throw new AssertionError("unexpected mode " + mode);
    }
  }

  @Test
  @DisplayName("applies an any-room fault to the next polls of whichever rooms come")
  void anyRoomFault(VertxTestContext ctx) {
    start(busy(3))
        .compose(s -> control("{\"op\":\"fault\",\"mode\":\"http503\",\"count\":2}"))
        .compose(r -> history(ROOM1 + 1))
        .compose(r -> {
          assertThat(r.statusCode()).isEqualTo(503);
          return ajax(ROOM1 + 2);
        })
        .compose(r -> {
          assertThat(r.statusCode()).isEqualTo(503);
          return history(ROOM1 + 1);
        })
        .map(r -> {
          assertThat(json(r).getInteger("code")).isZero();
          return r;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  @DisplayName("rejects malformed control bodies with 400 and a JSON error")
  void badControlBodies(VertxTestContext ctx) {
    List<String> bad = List.of("not json", "[1,2]", "{}", "{\"op\":\"explode\"}",
        "{\"op\":\"rate\",\"room\":1,\"rate\":5}", "{\"op\":\"rate\",\"room\":" + ROOM1 + ",\"rate\":-1}",
        "{\"op\":\"fault\",\"mode\":\"meltdown\"}", "{\"op\":\"fault\",\"mode\":\"slow\",\"count\":1.5}",
        "{\"op\":\"ban\",\"seconds\":\"ten\"}");
    Future<Void> chain = start(busy(2)).mapEmpty();
    for (String body : bad) {
      chain = chain.compose(v -> control(body)).map(r -> {
        assertThat(r.statusCode()).as(body).isEqualTo(400);
        assertThat(r.bodyAsJsonObject().getString("error")).as(body).isNotBlank();
        return null;
      });
    }
    chain.onComplete(ctx.succeedingThenComplete());
  }

  @Test
  @DisplayName("changes rates, bans and pauses generation through /sim/control")
  void controlOperations(VertxTestContext ctx) {
    long[] generatedAtPause = new long[1];
    start(busy(3))
        .compose(s -> control("{\"op\":\"rate\",\"room\":" + (ROOM1 + 2) + ",\"rate\":50}"))
        .compose(r -> {
          assertThat(json(r).getBoolean("ok")).isTrue();
          clock.addAndGet(10_000);
          return control("{\"op\":\"pause\"}");
        })
        .compose(r -> stats(""))
        .compose(stats -> {
          JsonObject room3 = stats.getJsonArray("rooms").getJsonObject(2);
          assertThat(room3.getDouble("rate")).isEqualTo(50.0);
          assertThat(room3.getLong("generated")).isGreaterThan(300);
          assertThat(stats.getBoolean("paused")).isTrue();
          generatedAtPause[0] = stats.getJsonObject("totals").getLong("generated");
          clock.addAndGet(60_000);
          return stats("");
        })
        .compose(stats -> {
          assertThat(stats.getJsonObject("totals").getLong("generated")).isEqualTo(generatedAtPause[0]);
          return control("{\"op\":\"resume\"}");
        })
        .compose(r -> {
          clock.addAndGet(5_000);
          return stats("");
        })
        .compose(stats -> {
          assertThat(stats.getJsonObject("totals").getLong("generated")).isGreaterThan(generatedAtPause[0]);
          return control("{\"op\":\"ban\",\"seconds\":5}");
        })
        .compose(r -> history(ROOM1))
        .compose(r -> {
          assertThat(r.statusCode()).isEqualTo(412);
          clock.addAndGet(5_000);
          return history(ROOM1);
        })
        .map(r -> {
          assertThat(r.statusCode()).isEqualTo(200);
          return r;
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  @DisplayName("starts on a free port with the real clock and the defaults, and stops answering when closed")
  void realClockDefaults(VertxTestContext ctx) {
    Simulator.start(vertx, SimulatorSettings.defaults(0, 100, 50, 42))
        .compose(s -> {
          sim = s;
          assertThat(s.port()).isPositive();
          assertThat(s.roomIds()).hasSize(100).startsWith(ROOM1);
          return history(ROOM1);
        })
        .compose(r -> {
          assertThat(json(r).getInteger("code")).isZero();
          return sim.close();
        })
        .compose(v -> client.get(sim.port(), "127.0.0.1", HISTORY + "?roomid=" + ROOM1).timeout(2_000).send()
            .transform(done -> {
              assertThat(done.failed()).as("closed simulator no longer answers").isTrue();
              return Future.succeededFuture();
            }))
        .onComplete(ctx.succeedingThenComplete());
  }
}
