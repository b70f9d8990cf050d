package io.danmakurelay.web;

import static io.danmakurelay.web.ScriptedRelay.danmaku;
import static io.danmakurelay.web.ScriptedRelay.event;

import io.danmakurelay.testsupport.Chromium;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;

/**
 * PNGs of the overlay with chat, a super chat and gifts, for a person to look at: over a dark backdrop (as on
 * a stream) and transparent (as OBS gets it). {@code java -cp ... io.danmakurelay.web.OverlayScreenshot DIR}.
 */
public final class OverlayScreenshot {
  private OverlayScreenshot() {
  }

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "target").toAbsolutePath();
    Files.createDirectories(dir);
    long room = OverlayBrowserTest.ROOM;
    String[][] chat = {{"阿梓从小就很可爱", "晚上好！"}, {"kiwi", "2333333"}, {"星河入梦", "this song again 🎵"},
        {"mallory", OverlayBrowserTest.XSS}, {"night_owl", "主播今天状态很好"}, {"弹幕姬", "前方高能"}};
    Vertx vertx = Vertx.vertx();
    try {
      long now = System.currentTimeMillis();
      List<JsonObject> frames = new ArrayList<>();
      for (int i = 0; i < chat.length; i++) {
        frames.add(danmaku(room, i + 1, chat[i][0], chat[i][1], now));
        if (i == 2) {
          frames.add(event(room, "SEND_GIFT", OverlayBrowserTest.gift("Ann", "辣条", 10), now));
        }
      }
      frames.add(event(room, "SUPER_CHAT_MESSAGE", OverlayBrowserTest.superChat("星河入梦", 50, "主播加油！<b>not bold</b>"), now));
      frames.add(event(room, "GUARD_BUY", new JsonObject().put("username", "老板").put("guard_level", 3).put("num", 1)
          .put("gift_name", "舰长").put("price", 198000), now));
      ScriptedRelay relay = ScriptedRelay.start(vertx, ScriptedRelay.rooms(),
          new StatsSampler(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), 5, 5000, 120,
              System::currentTimeMillis), (connection, subscribe) -> new ScriptedRelay.Reply(frames, false));
      try (Chromium browser = Chromium.start(640, 480)) {
        browser.open(relay.url("/overlay?room=" + room));
        Awaitility.await().until(() -> browser.text("document.body.textContent").contains("舰长"));
        browser.backdrop(40, 52, 70, 1);
        Files.write(dir.resolve("overlay-on-dark.png"), browser.screenshot());
        browser.backdrop(0, 0, 0, 0);
        Files.write(dir.resolve("overlay-transparent.png"), browser.screenshot());
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }
}
