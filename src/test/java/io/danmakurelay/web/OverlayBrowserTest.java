package io.danmakurelay.web;

import static io.danmakurelay.web.ScriptedRelay.danmaku;
import static io.danmakurelay.web.ScriptedRelay.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.danmakurelay.testsupport.Chromium;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The OBS overlay page in headless Chromium against a scripted /ws that speaks SPEC §5. */
@ExtendWith(VertxExtension.class)
@DisplayName("The overlay in a real browser")
class OverlayBrowserTest {
  static final long ROOM = 21452505L;
  static final String XSS = "<img src=x onerror=alert(1)>";
  static final Duration PAGE_WAIT = Duration.ofSeconds(60);

  static JsonObject superChat(String uname, int price, String message) {
    return new JsonObject().put("id", 7).put("uid", 42).put("price", price).put("message", message).put("time", 60)
        .put("user_info", new JsonObject().put("uname", uname).put("face", "http://example.invalid/f.jpg"));
  }

  static JsonObject gift(String uname, String giftName, int num) {
    return new JsonObject().put("uname", uname).put("uid", 43).put("action", "投喂").put("giftName", giftName)
        .put("num", num).put("coin_type", "gold").put("price", 100).put("total_coin", 100 * num);
  }

  /** When the scripted records were committed: now, as far as the page can tell. */
  static volatile long committedAt;

  /**
   * First connection: messages and events, then the relay "restarts"; the second connection repeats the last
   * message and the gift (the same records, delivered again) and brings a new message.
   */
  static ScriptedRelay.Reply script(int connection, JsonObject subscribe) {
    long now = committedAt;
    if (connection == 1) {
      return new ScriptedRelay.Reply(List.of(
          danmaku(ROOM, 1, "alice", "hello 你好 🎉", now),
          danmaku(ROOM, 2, "mallory", XSS, now),
          danmaku(ROOM + 1, 9, "elsewhere", "another room's line", now),
          event(ROOM, "SUPER_CHAT_MESSAGE", superChat("星河入梦", 30, "<b>thanks</b> 主播"), now),
          event(ROOM, "SEND_GIFT", gift("<i>kiwi</i>", "辣条", 5), now),
          event(ROOM, "INTERACT_WORD", new JsonObject().put("uname", "lurker-entered"), now)), true);
    }
    return new ScriptedRelay.Reply(List.of(
        danmaku(ROOM, 2, "mallory", XSS, now),
        danmaku(ROOM, 3, "bob", "after the reconnect", now),
        event(ROOM, "SEND_GIFT", gift("<i>kiwi</i>", "辣条", 5), now)), false);
  }

  static ScriptedRelay relay(Vertx vertx) throws Exception {
    committedAt = System.currentTimeMillis();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    return ScriptedRelay.start(vertx, ScriptedRelay.rooms(), new StatsSampler(registry, 5, 5000, 120,
        System::currentTimeMillis), OverlayBrowserTest::script);
  }

  @Test
  @DisplayName("shows the room's messages, a super chat and a gift as text only, resumes after a disconnect "
      + "with since = the last seq it showed, and breaks no rule of the CSP")
  void rendersMessagesAndEventsAndResumes(Vertx vertx) throws Exception {
    assumeTrue(Chromium.installed(), Chromium.MISSING);
    ScriptedRelay relay = relay(vertx);
    try (Chromium browser = Chromium.start(800, 600)) {
      browser.open(relay.url("/overlay?room=" + ROOM + "&lines=8&font=30"));

      await("the line sent after the reconnect").atMost(PAGE_WAIT)
          .until(() -> browser.text("document.getElementById('lines').textContent").contains("after the reconnect"));
      String lines = browser.text("document.getElementById('lines').innerHTML");
      String pinned = browser.text("document.getElementById('pinned').innerHTML");

      assertThat(relay.subscribes).as("one subscribe per connection").hasSize(2);
      JsonObject first = relay.subscribes.get(0);
      JsonObject second = relay.subscribes.get(1);
      assertThat(first.getJsonArray("rooms").getList()).containsExactly((int) ROOM);
      assertThat(first.getBoolean("events")).isTrue();
      assertThat(first.getJsonObject("since").getLong(Long.toString(ROOM))).isZero();
      assertThat(second.getBoolean("events")).isTrue();
      assertThat(second.getJsonObject("since").getLong(Long.toString(ROOM))).as("resumes after seq 2").isEqualTo(2L);

      assertThat(lines).containsSubsequence("hello 你好 🎉", "&lt;img src=x onerror=alert(1)&gt;", "辣条",
          "after the reconnect");
      assertThat(lines.split("onerror=alert", -1)).as("seq 2, replayed after the reconnect, is shown once").hasSize(2);
      assertThat(lines.split("辣条", -1)).as("the gift delivered on both connections is shown once").hasSize(2);
      assertThat(lines).contains("&lt;i&gt;kiwi&lt;/i&gt;").contains("×5");
      assertThat(lines).doesNotContain("another room's line").doesNotContain("lurker-entered");
      assertThat(pinned).contains("<span class=\"sc-price\">¥30</span>").contains("星河入梦")
          .contains("&lt;b&gt;thanks&lt;/b&gt; 主播");
      assertThat(browser.eval("document.querySelectorAll('img, b, i, script:not([src])').length")).isEqualTo(0);
      assertThat(browser.text("getComputedStyle(document.querySelector('.line.chat')).fontSize")).isEqualTo("30px");
      assertThat(browser.log).noneMatch(entry -> entry.contains("Content Security Policy"))
          .noneMatch(entry -> entry.startsWith("exception"));
    }
  }

  @Test
  @DisplayName("has a transparent background, so OBS shows the stream under the lines")
  void transparentBackground(Vertx vertx) throws Exception {
    assumeTrue(Chromium.installed(), Chromium.MISSING);
    ScriptedRelay relay = relay(vertx);
    try (Chromium browser = Chromium.start(640, 480)) {
      browser.open(relay.url("/overlay?room=" + ROOM));
      await("the lines").atMost(PAGE_WAIT)
          .until(() -> browser.text("document.getElementById('lines').textContent").contains("after the reconnect"));

      assertThat(browser.text("getComputedStyle(document.documentElement).backgroundColor")).isEqualTo("rgba(0, 0, 0, 0)");
      assertThat(browser.text("getComputedStyle(document.body).backgroundColor")).isEqualTo("rgba(0, 0, 0, 0)");
      browser.backdrop(0, 0, 0, 0);
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(browser.screenshot()));
      assertThat(image.getColorModel().hasAlpha()).isTrue();
      assertThat(alpha(image, 2, 2)).as("top-left corner").isZero();
      assertThat(alpha(image, image.getWidth() - 3, 2)).as("top-right corner").isZero();
      long painted = 0;
      for (int y = 0; y < image.getHeight(); y++) {
        for (int x = 0; x < image.getWidth(); x++) {
          if (alpha(image, x, y) > 0) {
            painted++;
          }
        }
      }
      assertThat(painted).as("the lines themselves are painted").isGreaterThan(500);
      assertThat(painted).as("and little else").isLessThan((long) image.getWidth() * image.getHeight() / 2);
    }
  }

  @Test
  @DisplayName("says what is wrong when the room is missing or not a room id, and connects nowhere")
  void badRoom(Vertx vertx) throws Exception {
    assumeTrue(Chromium.installed(), Chromium.MISSING);
    ScriptedRelay relay = relay(vertx);
    try (Chromium browser = Chromium.start(640, 480)) {
      browser.open(relay.url("/overlay?room=%3Cscript%3E"));
      await("the error line").atMost(PAGE_WAIT)
          .until(() -> "invalid".equals(browser.text("document.body.dataset.state")));

      assertThat(browser.text("document.getElementById('overlay-error').textContent"))
          .contains("This overlay needs ?room=ID");
      assertThat(relay.subscribes).isEmpty();
    }
  }

  private static int alpha(BufferedImage image, int x, int y) {
    return (image.getRGB(x, y) >>> 24) & 0xff;
  }
}
