package io.danmakurelay.web;

import static io.danmakurelay.web.ScriptedRelay.danmaku;
import static io.danmakurelay.web.ScriptedRelay.room;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.danmakurelay.testsupport.Chromium;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The dashboard as a new user meets it, in headless Chromium: real routes and figures, a scripted /ws. */
@ExtendWith(VertxExtension.class)
@DisplayName("The dashboard in a real browser, opened with no room chosen")
class DashboardPageBrowserTest {
  static final long BUSIEST = 1_000_001L;
  static final long SECOND = 1_000_002L;
  static final long THIRD = 1_000_003L;
  static final long QUIET = 1_000_004L;
  static final long SILENT = 1_000_005L;
  static final long INVALID = 99L;
  static final Duration PAGE_WAIT = Duration.ofSeconds(60);

  /** Every subscribed room gets two messages of its own. */
  static ScriptedRelay.Reply script(int connection, JsonObject subscribe) {
    long now = System.currentTimeMillis();
    List<JsonObject> frames = new ArrayList<>();
    for (Object id : subscribe.getJsonArray("rooms")) {
      long room = ((Number) id).longValue();
      frames.add(danmaku(room, 1, "viewer" + room, "first line of room " + room, now - 2000));
      frames.add(danmaku(room, 2, "弹幕姬", "second line of room " + room + " 你好", now - 1000));
    }
    return new ScriptedRelay.Reply(frames, false);
  }

  /** Two intervals of traffic as the sink and the poller count it: 10 msg/s, 5 polls/s, delays of 200 ms. */
  static StatsSampler sampler() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Counter published = Counter.builder(StatsSampler.PUBLISHED).register(registry);
    Counter polls = Counter.builder(StatsSampler.POLLS).tag("outcome", "ok").register(registry);
    Counter gaps = Counter.builder(StatsSampler.GAPS).register(registry);
    Counter duplicates = Counter.builder(StatsSampler.DUPLICATES).register(registry);
    Timer delay = Timer.builder(StatsSampler.PUBLISH_DELAY).publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(10)).maximumExpectedValue(Duration.ofMinutes(5)).register(registry);
    AtomicLong now = new AtomicLong(System.currentTimeMillis() - 10_000);
    StatsSampler sampler = new StatsSampler(registry, 5.0, 5000, 120, now::get);
    sampler.sampleNow();
    for (int interval = 0; interval < 2; interval++) {
      published.increment(50);
      polls.increment(25);
      gaps.increment(interval + 1);
      duplicates.increment(30);
      for (int i = 0; i < 40; i++) {
        delay.record(200, TimeUnit.MILLISECONDS);
      }
      now.addAndGet(5000);
      sampler.sampleNow();
    }
    return sampler;
  }

  static JsonObject rooms() {
    return ScriptedRelay.rooms(
        room(QUIET, "polling", 0.1, 30),
        room(THIRD, "connected", 0.7, 300),
        room(INVALID, "invalid", 5.0, 0),
        room(SILENT, "backoff", 0.0, 0).putNull("owner"),
        room(BUSIEST, "polling", 3.0, 900).put("owner", "relay-2 <b>x</b>"),
        room(SECOND, "reconnecting", 1.5, 600));
  }

  private static Set<Long> subscribedRooms(ScriptedRelay relay) {
    Set<Long> rooms = new TreeSet<>();
    relay.subscribes.forEach(s -> s.getJsonArray("rooms").forEach(id -> rooms.add(((Number) id).longValue())));
    return rooms;
  }

  private static String feed(Chromium browser) throws Exception {
    return browser.text("document.getElementById('feed').textContent");
  }

  @Test
  @DisplayName("follows the three busiest rooms without a click and shows their messages, shows the relay's "
      + "figures, and follows any other room with one click on its row")
  void busiestRoomsFiguresAndOneClick(Vertx vertx) throws Exception {
    assumeTrue(Chromium.installed(), Chromium.MISSING);
    ScriptedRelay relay = ScriptedRelay.start(vertx, rooms(), sampler(), DashboardPageBrowserTest::script);
    try (Chromium browser = Chromium.start(1400, 900)) {
      browser.open(relay.url("/"));

      await("messages of the three busiest rooms").atMost(PAGE_WAIT).until(() -> {
        String feed = feed(browser);
        return feed.contains("second line of room " + BUSIEST) && feed.contains("second line of room " + SECOND)
            && feed.contains("second line of room " + THIRD);
      });
      assertThat(subscribedRooms(relay)).containsExactly(BUSIEST, SECOND, THIRD);
      assertThat(feed(browser)).doesNotContain("room " + QUIET).contains("你好");
      assertThat(browser.text("document.getElementById('follow-mode').textContent"))
          .contains("Following the 3 busiest rooms");
      assertThat(browser.eval("Array.from(document.querySelectorAll('#rooms li.room')).map(li => li.dataset.room)"
          + ".join(',')")).as("rows busiest first").isEqualTo(BUSIEST + "," + SECOND + "," + THIRD + "," + QUIET + ","
          + SILENT + "," + INVALID);
      assertThat(browser.text("document.querySelector('#rooms li.room[data-room=\"" + SECOND + "\"] .badge').className"))
          .contains("state-reconnecting");
      assertThat(browser.text("document.querySelector('#rooms li.room[data-room=\"" + BUSIEST + "\"] a.overlay-link')"
          + ".getAttribute('href')")).isEqualTo("/overlay?room=" + BUSIEST);
      assertThat(browser.text("document.querySelector('nav a[href=\"/videos.html\"]').textContent")).isEqualTo("Videos");
      // In a cluster each room shows its owner, as text; a relay outside a cluster sends none and none is shown.
      assertThat(browser.text("document.querySelector('#rooms li.room[data-room=\"" + BUSIEST + "\"] .room-stats')"
          + ".textContent")).contains("owner relay-2 <b>x</b>");
      assertThat(browser.eval("document.querySelector('#rooms li.room[data-room=\"" + BUSIEST + "\"] .room-stats b b')"
          + " === null")).isEqualTo(Boolean.TRUE);
      assertThat(browser.text("document.querySelector('#rooms li.room[data-room=\"" + SILENT + "\"] .room-stats')"
          + ".textContent")).contains("owner unassigned");
      assertThat(browser.text("document.querySelector('#rooms li.room[data-room=\"" + QUIET + "\"] .room-stats')"
          + ".textContent")).doesNotContain("owner");

      await("the figures").atMost(PAGE_WAIT)
          .until(() -> browser.eval("document.getElementById('figures-status').hidden").equals(Boolean.TRUE));
      assertThat(browser.text("document.getElementById('fig-messages-value').textContent")).isEqualTo("10.0 /s");
      assertThat(browser.text("document.getElementById('fig-requests-value').textContent")).isEqualTo("5.0 of 5.0 /s");
      assertThat(browser.text("document.getElementById('fig-gaps-value').textContent")).isEqualTo("3");
      assertThat(browser.text("document.getElementById('fig-duplicates-value').textContent")).isEqualTo("60");
      assertThat(browser.text("document.getElementById('fig-delay-value').textContent"))
          .matches("(1[6-9][0-9]|2[0-3][0-9]) ms / (1[6-9][0-9]|2[0-3][0-9]) ms");
      assertThat(browser.text("document.getElementById('figures-span').textContent")).isEqualTo("last 10 s");

      browser.eval("document.querySelector('#rooms li.room[data-room=\"" + QUIET + "\"] .room-stats').click()");
      await("the clicked room's messages").atMost(PAGE_WAIT)
          .until(() -> feed(browser).contains("second line of room " + QUIET));
      assertThat(subscribedRooms(relay)).contains(QUIET);
      assertThat(browser.text("document.getElementById('follow-mode').textContent"))
          .contains("Following 4 rooms you chose");
      assertThat(browser.text("localStorage.getItem('danmaku-relay.rooms')").split(","))
          .containsExactlyInAnyOrder(Long.toString(BUSIEST), Long.toString(SECOND), Long.toString(THIRD),
              Long.toString(QUIET));
      assertThat(browser.log).noneMatch(entry -> entry.contains("Content Security Policy"))
          .noneMatch(entry -> entry.startsWith("exception"));
    }
  }
}
