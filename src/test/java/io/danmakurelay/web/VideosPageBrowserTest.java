package io.danmakurelay.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("The videos page in a real browser")
class VideosPageBrowserTest {

  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final String XSS = "<img src=x onerror=alert(1)>";

  static JsonObject fakeVideos() {
    long now = System.currentTimeMillis();
    return new JsonObject().put("videos", new JsonArray()
        .add(new JsonObject().put("video", "BV17x411w7KC").put("aid", 170001).put("bvid", "BV17x411w7KC")
            .put("title", "标题 " + XSS).put("state", "reading").put("danmaku_published", 4321).putNull("episode")
            .put("parts", new JsonArray().add(new JsonObject().put("cid", 1700011).put("page", 1)
                .put("part", "<b>第1话</b>").put("state", "reading").put("danmaku_published", 4000)
                .put("last_read_at", now - 5000).put("next_read_at", now + 55000).put("interval_ms", 60000)
                .put("pool_size", 500).put("max_limit", 500).put("gaps", 1))))
        .add(new JsonObject().put("video", "ep999").putNull("aid").put("state", "invalid")
            .put("problem", "does not exist upstream: code -404: 啥都木有").put("danmaku_published", 0)
            .put("parts", new JsonArray())));
  }

  @Test
  @DisplayName("shows titles, parts, published counts, reads and states, with HTML in titles as plain text")
  void rendersAsText(@TempDir Path tmp) throws Exception {
    assumeTrue(Files.isExecutable(CHROMIUM), "headless Chromium missing: apt-get install chromium");
    Vertx vertx = Vertx.vertx();
    try {
      Router router = Router.router(vertx);
      router.get("/api/videos").handler(ctx -> ctx.json(fakeVideos()));
      router.route().handler(StaticHandler.create("webroot"));
      HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
          .await(30, TimeUnit.SECONDS);
      Path out = tmp.resolve("dom.html");
      Process chromium = new ProcessBuilder(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
          "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
          "--disable-sync", "--disable-dev-shm-usage", "--user-data-dir=" + tmp.resolve("profile"),
          "--virtual-time-budget=6000", "--dump-dom", "http://127.0.0.1:" + server.actualPort() + "/videos.html"))
          .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      if (!chromium.waitFor(90, TimeUnit.SECONDS)) {
        chromium.destroyForcibly();
        throw new AssertionError("chromium did not finish in 90 s");
      }
      String dom = Files.readString(out, StandardCharsets.UTF_8);
      assertThat(dom).contains("标题 &lt;img src=x onerror=alert(1)&gt;").doesNotContain("<img");
      assertThat(dom).contains("&lt;b&gt;第1话&lt;/b&gt;").doesNotContain("<b>");
      assertThat(dom).contains("4321 danmaku published").contains("500 / 500").contains("BV17x411w7KC · av170001");
      assertThat(dom).contains("state-invalid").contains("does not exist upstream: code -404: 啥都木有");
      assertThat(dom).contains("60 s").contains("ago").contains("in 5");
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
