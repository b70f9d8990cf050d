package io.danmakurelay.fanout;

import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Takes a PNG of the dashboard with sample traffic, for a person to look at:
 * {@code java -cp ... io.danmakurelay.fanout.DashboardScreenshot target/dashboard.png}.
 */
public final class DashboardScreenshot {
  private DashboardScreenshot() {
  }

  public static void main(String[] args) throws Exception {
    Path png = Path.of(args.length > 0 ? args[0] : "target/dashboard.png").toAbsolutePath();
    Vertx vertx = Vertx.vertx();
    try {
      FanoutServer server = DashboardBrowserTest.dashboardServer(vertx);
      String[] nicks = {"阿梓从小就很可爱", "kiwi", "星河入梦", "mallory", "night_owl", "弹幕姬", "Ann"};
      String[] texts = {"晚上好！", "2333333", "this song again 🎵", DashboardBrowserTest.XSS, "主播今天状态很好",
          DashboardBrowserTest.BOLD, "？？？", "gg", "前方高能", "multi\nline text"};
      for (int i = 1; i <= 40; i++) {
        long room = i % 3 == 0 ? 7734200L : DashboardBrowserTest.ROOM;
        server.fanout.publish(room, DashboardBrowserTest.message(room, i, nicks[i % nicks.length], texts[i % texts.length]));
      }
      Path tmp = Files.createTempDirectory("dashboard-shot");
      DashboardBrowserTest.chromium(tmp.resolve("profile"),
          List.of("--virtual-time-budget=8000", "--hide-scrollbars", "--window-size=1280,900", "--screenshot=" + png),
          "http://127.0.0.1:" + server.port() + "/?rooms=" + DashboardBrowserTest.ROOM + ",7734200");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }
}
