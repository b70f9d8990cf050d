package io.danmakurelay.fanout;

import io.danmakurelay.web.Endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Loads the dashboard in headless Chromium against a real server and reads back the DOM it built. */
@ExtendWith(VertxExtension.class)
@DisplayName("The dashboard in a real browser")
class DashboardBrowserTest {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final long ROOM = 21452505L;
  static final String XSS = "<img src=x onerror=alert(1)>";
  static final String BOLD = "<b>bold</b>";

  /** A fixed stand-in for the lead's GET /api/rooms. */
  static JsonObject fakeRooms() {
    long now = System.currentTimeMillis();
    return new JsonObject().put("rooms", new JsonArray()
        .add(new JsonObject().put("room_id", ROOM).put("short_id", 510).put("state", "polling")
            .put("interval_ms", 3000).put("last_poll_at", now - 2000).put("messages_published", 1234)
            .put("gaps", 2).put("rate_per_second", 0.8))
        .add(new JsonObject().put("room_id", 7734200L).put("short_id", 0).put("state", "backoff")
            .put("interval_ms", 16000).put("last_poll_at", now - 15000).put("messages_published", 87)
            .put("gaps", 0).put("rate_per_second", 0.05))
        .add(new JsonObject().put("room_id", 99L).put("short_id", 0).put("state", "invalid")
            .put("interval_ms", 60000).put("last_poll_at", null).put("messages_published", 0)
            .put("gaps", 0).put("rate_per_second", 0.0)));
  }

  /** The relay's web routes as far as the dashboard needs them: /ws, a fake /api/rooms, webroot. */
  static FanoutServer dashboardServer(Vertx vertx) {
    return FanoutServer.start(vertx, new FanoutSettings(1000, "", List.of()), FanoutLimits.DEFAULTS,
        new HttpServerOptions(), router -> {
          router.get(Endpoints.ROOMS).handler(ctx -> ctx.json(fakeRooms()));
          router.route().handler(StaticHandler.create("webroot"));
        });
  }

  static JsonObject message(long room, int i, String nickname, String text) {
    long ts = System.currentTimeMillis() - (40 - i) * 5000L;
    return new JsonObject().put("room_id", room).put("id", "id" + i).put("list", i % 7 == 0 ? "admin" : "room")
        .put("uid", 1000 + i).put("nickname", nickname).put("text", text).put("timeline", "2026-11-29 12:00:00")
        .put("ts", ts).put("fetched_at", ts + 800).put("raw", new JsonObject()).put("seq", i);
  }

  /** Runs headless Chromium with the flags that work as root in a container; returns stdout. */
  static String chromium(Path profile, List<String> extra, String url) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
        "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
        "--user-data-dir=" + profile));
    command.addAll(extra);
    command.add(url);
    Path out = Files.createTempFile(profile.getParent(), "chromium", ".out");
    Process process = new ProcessBuilder(command).redirectOutput(out.toFile())
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    if (!process.waitFor(90, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("chromium did not finish in 90 s");
    }
    return Files.readString(out, StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("shows danmaku with HTML in their text as plain characters and injects no element")
  void htmlInTextStaysText(Vertx vertx, @TempDir Path tmp) throws Exception {
    assumeTrue(Files.isExecutable(CHROMIUM), "headless Chromium missing: apt-get install chromium");
    FanoutServer server = dashboardServer(vertx);
    server.fanout.publish(ROOM, message(ROOM, 1, "alice", "hello 你好 🎉"));
    server.fanout.publish(ROOM, message(ROOM, 2, "mallory", XSS));
    server.fanout.publish(ROOM, message(ROOM, 3, "<i>bob</i>", BOLD));

    String dom = chromium(tmp.resolve("profile"),
        List.of("--virtual-time-budget=8000", "--dump-dom"),
        "http://127.0.0.1:" + server.port() + "/?rooms=" + ROOM);

    assertThat(dom).contains("id=\"feed\"");
    assertThat(dom).contains("hello 你好 🎉");
    assertThat(dom).contains("&lt;img src=x onerror=alert(1)&gt;");
    assertThat(dom).contains("&lt;b&gt;bold&lt;/b&gt;");
    assertThat(dom).contains("&lt;i&gt;bob&lt;/i&gt;");
    assertThat(dom).doesNotContain("<img");
    String feed = dom.substring(dom.indexOf("id=\"feed\""), dom.indexOf("</ol>"));
    assertThat(feed).doesNotContain("<b>").doesNotContain("<i>");
    assertThat(feed).contains("<span class=\"text\">&lt;img src=x onerror=alert(1)&gt;</span>");
    assertThat(feed).containsSubsequence("hello", "&lt;img", "&lt;b&gt;bold");
    assertThat(dom).contains("short 510").contains("polling").contains("backoff");
  }
}
