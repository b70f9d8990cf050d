package io.danmakurelay.it;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.danmakurelay.sim.PushConnectionStats;
import io.danmakurelay.sim.SimMessage;
import io.danmakurelay.sim.SimulatorSettings;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@code upstream.mode=push} for real, with a logged-in identity: simulator → relay → embedded Kafka. The relay
 * must not poll at all, must authenticate with the configured uid and the cookie's buvid3, and the cookie must
 * never leave it (logs, API, health, metrics).
 */
@DisplayName("Push mode with a configured cookie and uid")
class PushModeIntegrationTest {

  static final String SESSDATA = "c0ffee5e55da7a-secret-4f1d";
  static final String BUVID3 = "0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F912345infoc";
  static final String COOKIE = "SESSDATA=" + SESSDATA + "; buvid3=" + BUVID3;
  static final long UID = 987654;

  @TempDir
  Path dataDir;

  @Test
  @DisplayName("No poll at all: only nav and getDanmuInfo; auth carries the uid and the cookie's buvid3; every"
      + " pushed message is in Kafka once; the cookie is in no log line, /api, /health or /metrics")
  void pushOnlyWithCookie() throws Exception {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.setContext(context);
    logs.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    Logger relayLogger = context.getLogger("io.danmakurelay");
    Level relayLevel = relayLogger.getLevel();
    root.addAppender(logs);
    relayLogger.setLevel(Level.DEBUG);
    try (RelayHarness h = new RelayHarness(SimulatorSettings.defaults(0, 2, 6, 31))) {
      String base = "http://127.0.0.1:" + h.sim.port();
      List<Long> rooms = h.sim.roomIds();
      h.sim.pause();
      h.startRelay(h.flags(dataDir, "gethistory",
          "upstream.mode=push",
          "upstream.danmuInfoUrl=" + base + "/xlive/web-room/v1/index/getDanmuInfo",
          "upstream.navUrl=" + base + "/x/web-interface/nav",
          "upstream.buvidUrl=" + base + "/x/frontend/finger/spi",
          "upstream.cookie=" + COOKIE,
          "upstream.uid=" + UID,
          "rooms=" + rooms.get(0) + "," + rooms.get(1)));
      RelayHarness.await("both rooms connected", Duration.ofSeconds(120), () -> rooms.stream().allMatch(r -> {
        try {
          JsonObject e = h.roomEntry(r);
          return e != null && "connected".equals(e.getString("state"));
        } catch (Exception notYet) {
          return false;
        }
      }));
      h.sim.resume();
      RelayHarness.await("40 messages pushed", Duration.ofSeconds(120), () -> pushed(h, rooms).size() >= 40);
      h.sim.pause();
      RelayHarness.await("every pushed message published", Duration.ofSeconds(120),
          () -> h.metric("danmaku_messages_published_total", "") >= pushed(h, rooms).size());

      List<String> truth = pushed(h, rooms);
      List<ConsumerRecord<String, byte[]>> records =
          RelayHarness.consume(h.relay.bootstrapServers(), "danmaku", truth.size());
      List<String> published = new ArrayList<>();
      for (ConsumerRecord<String, byte[]> r : records) {
        JsonObject v = RelayHarness.json(r);
        published.add(v.getLong("room_id") + "/" + v.getString("id"));
        assertThat(RelayHarness.header(r, "source")).isEqualTo("push");
      }
      assertThat(published).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(truth);

      JsonObject totals = h.sim.stats().getJsonObject("totals");
      assertThat(totals.getLong("poll_requests")).as("poll requests in push mode").isZero();
      JsonObject push = h.sim.pushStats();
      assertThat(push.getLong("nav_requests")).isPositive();
      assertThat(push.getLong("danmu_info_requests")).isGreaterThanOrEqualTo(2);
      assertThat(push.getLong("spi_requests")).as("finger/spi requests with a cookie holding buvid3").isZero();
      List<PushConnectionStats> authed = h.sim.pushConnections().stream().filter(c -> c.authedAt() > 0).toList();
      assertThat(authed).isNotEmpty().allSatisfy(c -> {
        assertThat(c.uid()).isEqualTo(UID);
        assertThat(c.buvid()).isEqualTo(BUVID3);
      });

      List<String> surfaces = new ArrayList<>();
      for (String path : List.of("/api/rooms", "/health", "/metrics", "/api/cluster")) {
        surfaces.add(path + ": " + h.get(path).body());
      }
      for (ILoggingEvent e : new ArrayList<>(logs.list)) {
        surfaces.add("log: " + e.getFormattedMessage()
            + (e.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(e.getThrowableProxy())));
      }
      assertThat(logs.list).as("captured log lines").isNotEmpty();
      assertThat(surfaces).allSatisfy(s -> assertThat(s).doesNotContain(SESSDATA).doesNotContain("SESSDATA="));
    } finally {
      root.detachAppender(logs);
      relayLogger.setLevel(relayLevel);
    }
  }

  /** room/id_str of every message the simulator pushed to any connection of the rooms. */
  private static List<String> pushed(RelayHarness h, List<Long> rooms) {
    List<String> out = new ArrayList<>();
    List<PushConnectionStats> connections = h.sim.pushConnections();
    for (long r : rooms) {
      List<SimMessage> all = h.sim.messages(r);
      for (PushConnectionStats c : connections) {
        if (c.room() == r) {
          for (int seq : c.messageSeqs()) {
            out.add(r + "/" + all.get(seq).idStr());
          }
        }
      }
    }
    return out;
  }
}
