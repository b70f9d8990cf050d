package io.danmakurelay.it;

import static io.danmakurelay.it.RelayHarness.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.kafka.EmbeddedKafka;
import io.danmakurelay.sim.Simulator;
import io.danmakurelay.sim.SimulatorSettings;
import io.danmakurelay.sim.VideoFault;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Video danmaku end to end: the simulator's videos, the real relay (in-process and as a process killed with
 * kill -9), the real embedded Kafka. Kafka's video topic must hold, dmid for dmid, every danmaku of every
 * pool and history snapshot the simulator served, each once.
 */
class VideoIntegrationTest {

  static final List<Long> CIDS = List.of(1700011L, 1700012L, 1700013L, 1700021L, 24417385L);

  static List<String> videoFlags(RelayHarness h, String... more) {
    String base = "http://127.0.0.1:" + h.sim.port();
    List<String> flags = new ArrayList<>(h.flags(Path.of("unused"), "ajax-msg"));
    flags.removeIf(f -> f.startsWith("kafka.dataDir="));
    flags.addAll(Simulator.videoUrlFlags(base));
    flags.addAll(List.of("upstream.requestsPerSecond=50", "video.minIntervalMs=300", "video.maxIntervalMs=2000",
        "backoff.initialMs=200", "backoff.maxMs=1000"));
    flags.addAll(List.of(more));
    return flags;
  }

  /** The simulator's stats of one part. */
  static JsonObject simPart(RelayHarness h, long cid) {
    for (Object v : h.sim.stats().getJsonArray("videos")) {
      for (Object p : ((JsonObject) v).getJsonArray("parts")) {
        if (((JsonObject) p).getLong("cid") == cid) {
          return (JsonObject) p;
        }
      }
    }
    throw new AssertionError("no simulated part " + cid);
  }

  static long poolReads(RelayHarness h) {
    long n = 0;
    for (long cid : CIDS) {
      n += simPart(h, cid).getLong("pool_reads");
    }
    return n;
  }

  static boolean historyDone(RelayHarness h) throws Exception {
    JsonArray videos = new JsonObject(h.get("/api/videos").body()).getJsonArray("videos");
    int parts = 0;
    for (Object v : videos) {
      for (Object p : ((JsonObject) v).getJsonArray("parts")) {
        parts++;
        JsonObject history = ((JsonObject) p).getJsonObject("history");
        if (history == null || !history.getBoolean("complete")) {
          return false;
        }
      }
    }
    return parts == CIDS.size();
  }

  @Test
  @DisplayName("Kafka holds every served pool and history danmaku once across a SIGTERM-like stop and a kill -9, "
      + "history is read once, and the metadata record matches the simulator's video")
  void everyDanmakuOnce(@TempDir Path dir) throws Exception {
    EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("broker"), 0);
    try (RelayHarness h = new RelayHarness(SimulatorSettings.defaults(0, 1, 0.5, 21))) {
      List<String> flags = videoFlags(h, "kafka.bootstrapServers=" + kafka.bootstrapServers(), "video.history=true",
          "videos=BV17x411w7KC,ep114928,170002");
      h.startRelay(flags);
      await("history read and pools re-read", Duration.ofSeconds(90),
          () -> historyDone(h) && poolReads(h) >= 2L * CIDS.size());
      // The next three pool reads of a part carry characters XML 1.0 forbids in some texts: kept, not lost. (A
      // part's fault applies to its next request of any kind: ordered now, after its rolldate.)
      h.sim.videoFault(1700012, VideoFault.FORBIDDENCHARS, 3);
      await("the forbidden characters counted", Duration.ofSeconds(60),
          () -> h.sim.stats().getJsonObject("video_totals").getLong("video_faults_served") == 3
              && h.metric("danmaku_video_invalid_chars_total", "") > 0);
      Map<Long, Long> historyReads = new HashMap<>();
      for (long cid : CIDS) {
        historyReads.put(cid, simPart(h, cid).getLong("history_reads"));
        assertThat(historyReads.get(cid)).as("history reads of %d", cid).isEqualTo(simPart(h, cid).getLong("rolldates"));
      }
      JsonObject entry = new JsonObject(h.get("/api/videos").body()).getJsonArray("videos").getJsonObject(0);
      assertThat(entry.getLong("aid")).isEqualTo(170001);
      assertThat(entry.getString("state")).isEqualTo("reading");
      assertThat(entry.getJsonArray("parts")).hasSize(3);
      h.relay.close();

      // The same relay as a process, killed with kill -9 while it reads.
      long readsBefore = poolReads(h);
      Process child = h.startChildRelay(flags, dir).process();
      try {
        await("the child relay read pools", Duration.ofSeconds(90), () -> poolReads(h) >= readsBefore + 2L * CIDS.size());
        child.destroyForcibly();
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      } finally {
        child.destroyForcibly();
      }

      h.startRelay(flags);
      long readsAfterKill = poolReads(h);
      await("reads after the restart", Duration.ofSeconds(60), () -> poolReads(h) >= readsAfterKill + 2L * CIDS.size());
      h.relay.close();
      h.relay = null;
      for (long cid : CIDS) {
        assertThat(simPart(h, cid).getLong("history_reads")).as("history of %d read once", cid)
            .isEqualTo(historyReads.get(cid));
      }

      long served = 0;
      Map<Long, List<String>> truth = new TreeMap<>();
      for (long cid : CIDS) {
        List<String> ids = h.sim.videoServedDmids(cid);
        truth.put(cid, ids.stream().sorted().toList());
        served += ids.size();
      }
      List<ConsumerRecord<String, byte[]>> records = RelayHarness.consume(kafka.bootstrapServers(), "danmaku-video", served);
      Map<Long, List<String>> seen = new TreeMap<>();
      Set<String> once = new HashSet<>();
      List<String> twice = new ArrayList<>();
      Set<String> sources = new HashSet<>();
      for (ConsumerRecord<String, byte[]> r : records) {
        JsonObject v = RelayHarness.json(r);
        assertThat(r.key()).isEqualTo(Long.toString(v.getLong("cid")));
        if (!once.add(v.getString("id"))) {
          twice.add(v.getString("id"));
        }
        seen.computeIfAbsent(v.getLong("cid"), k -> new ArrayList<>()).add(v.getString("id"));
        sources.add(RelayHarness.header(r, "source"));
      }
      seen.replaceAll((cid, ids) -> ids.stream().sorted().toList());
      assertThat(twice).as("dmids published twice").isEmpty();
      Map<Long, String> differences = new TreeMap<>();
      for (long cid : CIDS) {
        List<String> missing = new ArrayList<>(truth.get(cid));
        missing.removeAll(new HashSet<>(seen.getOrDefault(cid, List.of())));
        List<String> extra = new ArrayList<>(seen.getOrDefault(cid, List.of()));
        extra.removeAll(new HashSet<>(truth.get(cid)));
        if (!missing.isEmpty() || !extra.isEmpty()) {
          differences.put(cid, missing.size() + " missing " + missing.subList(0, Math.min(5, missing.size()))
              + ", " + extra.size() + " extra " + extra.subList(0, Math.min(5, extra.size())));
        }
      }
      assertThat(differences).as("per part: served danmaku missing from Kafka, Kafka danmaku never served").isEmpty();
      assertThat(sources).containsExactlyInAnyOrder("video-pool", "video-history");
      JsonObject one = RelayHarness.json(records.get(records.size() - 1));
      assertThat(one.fieldNames()).contains("cid", "aid", "bvid", "page", "id", "progress_ms", "mode", "fontsize",
          "color", "ctime", "pool", "sender_hash", "text", "fetched_at", "raw");
      assertThat(one.getString("raw").split(",")[7]).isEqualTo(one.getString("id"));

      Map<String, JsonObject> meta = new HashMap<>();
      for (ConsumerRecord<String, byte[]> r : RelayHarness.consume(kafka.bootstrapServers(), "danmaku-video-meta", 3)) {
        meta.put(r.key(), RelayHarness.json(r));
      }
      assertThat(meta).containsOnlyKeys("av170001", "av14989419", "av170002");
      JsonObject av = meta.get("av170001");
      assertThat(av.getString("title")).isEqualTo("【模拟】弹幕测试 <第一弹> & \"引号\" $1 .*");
      assertThat(av.getString("bvid")).isEqualTo("BV17x411w7KC");
      assertThat(av.getJsonObject("owner")).isEqualTo(new JsonObject().put("mid", 282994).put("name", "泠鸢yousa"));
      assertThat(av.getJsonArray("pages").stream().map(p -> ((JsonObject) p).getLong("cid")).toList())
          .containsExactly(1700011L, 1700012L, 1700013L);
      assertThat(av.getJsonArray("related").stream().map(a -> ((Number) a).longValue()).toList())
          .containsExactly(170002L, 170003L);
      assertThat(av.getValue("episode")).isNull();
      JsonObject ep = meta.get("av14989419").getJsonObject("episode");
      assertThat(ep.getLong("ep")).isEqualTo(114928);
      assertThat(ep.getLong("season_id")).isEqualTo(6421);
    } finally {
      kafka.close();
    }
  }

  @Test
  @DisplayName("the metadata record is written once per change: refreshes that change nothing write nothing, each "
      + "edit of the title is written once, and the record matches the simulator's video")
  void metadataOnlyWhenItChanges(@TempDir Path dir) throws Exception {
    EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("broker"), 0);
    try (RelayHarness h = new RelayHarness(SimulatorSettings.defaults(0, 1, 0.5, 24))) {
      List<String> flags = videoFlags(h, "kafka.bootstrapServers=" + kafka.bootstrapServers(), "videos=170002");
      flags.removeIf(f -> f.startsWith("video.maxIntervalMs="));
      // A refresh (pagelist, archives, author_recommend) every second; the part's pool grows 3 danmaku a second.
      flags.add("video.maxIntervalMs=1000");
      h.startRelay(flags);
      String refreshed = "endpoint=\"recommend\",outcome=\"ok\"";
      await("four refreshes", Duration.ofSeconds(90), () -> h.metric("danmaku_video_requests_total", refreshed) >= 4);
      h.sim.videoRetitle(170002, "改了标题 1");
      double before = h.metric("danmaku_video_requests_total", refreshed);
      await("three refreshes after the edit", Duration.ofSeconds(90),
          () -> h.metric("danmaku_video_requests_total", refreshed) >= before + 3);
      h.sim.videoRetitle(170002, "改了标题 2");

      // The sink commits in order: once the second edit is in Kafka, whatever earlier refreshes wrote is too.
      List<JsonObject> written = new ArrayList<>();
      await("the second edit written", Duration.ofSeconds(90), () -> {
        written.clear();
        RelayHarness.consume(kafka.bootstrapServers(), "danmaku-video-meta", 3).forEach(r -> {
          assertThat(r.key()).isEqualTo("av170002");
          written.add(RelayHarness.json(r));
        });
        return !written.isEmpty() && "改了标题 2".equals(written.get(written.size() - 1).getString("title"));
      });
      assertThat(written).extracting(m -> m.getString("title")).containsExactly("单P视频 😀", "改了标题 1", "改了标题 2");

      // The last record is the simulator's video as its archives answer says now.
      HttpResponse<String> archives = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
          "http://127.0.0.1:" + h.sim.port() + "/x/article/archives?ids=170002")).build(), BodyHandlers.ofString());
      JsonObject truth = new JsonObject(archives.body()).getJsonObject("data").getJsonObject("170002");
      JsonObject last = written.get(2);
      assertThat(last.getLong("aid")).isEqualTo(170002);
      assertThat(last.getString("bvid")).isEqualTo("BV17x411w7Kk");
      assertThat(last.getString("title")).isEqualTo(truth.getString("title"));
      assertThat(last.getJsonObject("owner")).isEqualTo(new JsonObject().put("mid", truth.getJsonObject("owner").getLong("mid"))
          .put("name", truth.getJsonObject("owner").getString("name")));
      assertThat(last.getLong("pubdate")).isEqualTo(truth.getLong("pubdate"));
      assertThat(last.getLong("duration")).isEqualTo(truth.getLong("duration"));
      for (String counter : List.of("view", "danmaku", "reply", "favorite", "coin", "share")) {
        assertThat(last.getJsonObject("stat").getLong(counter)).as("stat.%s", counter)
            .isEqualTo(truth.getJsonObject("stat").getLong(counter));
      }
      assertThat(last.getJsonArray("pages").getJsonObject(0).getLong("cid")).isEqualTo(1700021);
      assertThat(last.getJsonArray("related").getList()).containsExactly(170001);
    } finally {
      kafka.close();
    }
  }

  @Test
  @DisplayName("a stop while a pool read is in flight publishes that read: Kafka holds every danmaku served")
  void stopPublishesTheReadInFlight(@TempDir Path dir) throws Exception {
    EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("broker"), 0);
    try (RelayHarness h = new RelayHarness(SimulatorSettings.defaults(0, 1, 0.5, 25))) {
      List<String> flags = videoFlags(h, "kafka.bootstrapServers=" + kafka.bootstrapServers(), "videos=170002");
      h.startRelay(flags);
      await("two pool reads", Duration.ofSeconds(90), () -> simPart(h, 1700021).getLong("pool_reads") >= 2);
      // The simulator holds every request for 4 s (under the relay's 5 s deadline): a pool read sent meanwhile is
      // in flight when the relay stops, and is served (recorded in the ground truth) while the relay stops.
      // (A refresh of the video's metadata in flight holds its part's reads back: stall again until a read is sent.)
      long[] stalledUntil = {0};
      await("a pool read in flight", Duration.ofSeconds(90), () -> {
        if (System.currentTimeMillis() > stalledUntil[0] - 1000) {
          h.sim.stall(4000);
          stalledUntil[0] = System.currentTimeMillis() + 4000;
        }
        return new JsonObject(h.get("/api/videos").body()).getJsonArray("videos").getJsonObject(0)
            .getJsonArray("parts").getJsonObject(0).getBoolean("read_in_flight");
      });
      h.relay.close();
      h.relay = null;
      List<String> served = h.sim.videoServedDmids(1700021);
      Set<String> published = new HashSet<>();
      RelayHarness.consume(kafka.bootstrapServers(), "danmaku-video", served.size())
          .forEach(r -> published.add(RelayHarness.json(r).getString("id")));
      List<String> missing = new ArrayList<>(served);
      missing.removeAll(published);
      assertThat(missing).as("served danmaku missing from Kafka").isEmpty();
    } finally {
      kafka.close();
    }
  }

  @Test
  @DisplayName("faults get a clear outcome per video in /api/videos and the metrics, and the rest is unaffected")
  void faults(@TempDir Path dir) throws Exception {
    try (RelayHarness h = new RelayHarness(SimulatorSettings.defaults(0, 1, 0.5, 22))) {
      h.sim.videoFault(1700011, VideoFault.TRUNCATED, 2);
      h.sim.videoFault(1700012, VideoFault.MALFORMED, 1);
      h.sim.videoFault(1700013, VideoFault.WRONGTYPES, 1);
      h.sim.videoFault(1700021, VideoFault.HUGE, 1);
      h.sim.videoFault(170003, VideoFault.EMPTYDATA, 1);
      // The episode's part: its pool answers HTTP 404 once (an HTML page), then is there again.
      h.sim.videoFault(24417385, VideoFault.HTTP404, 1);
      h.startRelay(videoFlags(h, "kafka.dataDir=" + dir.resolve("kafka"), "admin.token=secret",
          "videos=av170001,170002,av170003,ep999,BV1xx411c7mD,ep114928"));
      await("every fault served and the good reads done", Duration.ofSeconds(90), () ->
          h.sim.stats().getJsonObject("video_totals").getLong("video_faults_served") == 7
              && simPart(h, 1700011).getLong("pool_reads") >= 2 && simPart(h, 1700012).getLong("pool_reads") >= 2
              && simPart(h, 1700021).getLong("pool_reads") >= 2 && simPart(h, 24417385).getLong("pool_reads") >= 2);
      Map<String, JsonObject> byId = new HashMap<>();
      for (Object o : new JsonObject(h.get("/api/videos").body()).getJsonArray("videos")) {
        byId.put(((JsonObject) o).getString("video"), (JsonObject) o);
      }
      assertThat(byId.get("av170003").getString("state")).isEqualTo("invalid");
      assertThat(byId.get("av170003").getString("problem")).contains("empty data");
      assertThat(byId.get("ep999").getString("state")).isEqualTo("invalid");
      assertThat(byId.get("ep999").getString("problem")).contains("-404");
      assertThat(byId.get("BV1xx411c7mD").getString("state")).isEqualTo("invalid");
      assertThat(byId.get("av170001").getString("state")).isEqualTo("reading");
      // Truncated twice and malformed once are parse errors; the 50 MB body is refused (a parse error), or times
      // out first on a loaded machine. The metrics count when the relay handled an answer, so wait for them.
      await("the faults counted", Duration.ofSeconds(30), () ->
          h.metric("danmaku_video_requests_total", "endpoint=\"pool\",outcome=\"parse_error\"")
              + h.metric("danmaku_video_requests_total", "endpoint=\"pool\",outcome=\"timeout\"") >= 4
          && h.metric("danmaku_video_requests_total", "outcome=\"not_found\"") >= 3
          && h.metric("danmaku_video_bad_items_total", "") == 20);
      assertThat(h.metric("danmaku_video_requests_total", "endpoint=\"pool\",outcome=\"parse_error\""))
          .isGreaterThanOrEqualTo(3);
      assertThat(h.metric("danmaku_videos", "state=\"invalid\"")).isEqualTo(3);
      assertThat(h.metric("danmaku_video_requests_total", "endpoint=\"pool\",outcome=\"not_found\""))
          .isGreaterThanOrEqualTo(1);
      assertThat(byId.get("ep114928").getString("state")).isEqualTo("reading");
      await("the published count reaches the good parts' served danmaku", Duration.ofSeconds(30), () ->
          h.metric("danmaku_video_danmaku_published_total", "") >= h.sim.videoServedDmids(1700021).size()
              + h.sim.videoServedDmids(24417385).size());

      // The API: bad ids and missing tokens are refused clearly, a valid add and delete work.
      assertThat(h.send("POST", "/api/videos", "{\"video\":\"ss12\"}", "secret").statusCode()).isEqualTo(400);
      assertThat(h.send("POST", "/api/videos", "{\"video\":\"av170002\"}", null).statusCode()).isEqualTo(401);
      assertThat(h.send("POST", "/api/videos", "not json", "secret").statusCode()).isEqualTo(400);
      assertThat(h.send("POST", "/api/videos", "{\"video\":170002}", "secret").statusCode()).isEqualTo(200);
      assertThat(h.send("DELETE", "/api/videos/ep999", null, "secret").statusCode()).isEqualTo(200);
      assertThat(h.send("DELETE", "/api/videos/ep999", null, "secret").statusCode()).isEqualTo(404);
      assertThat(h.get("/api/videos").body()).doesNotContain("secret").doesNotContain("ep999");
    }
  }

  @Test
  @DisplayName("video reads and live polls spend one request budget: together they never exceed it")
  void oneBudget(@TempDir Path dir) throws Exception {
    try (RelayHarness h = new RelayHarness(SimulatorSettings.defaults(0, 2, 2, 23))) {
      List<String> flags = videoFlags(h, "kafka.dataDir=" + dir.resolve("kafka"), "videos=170002,av170001",
          "rooms=1000001,1000002", "poll.strategy=fixed", "poll.intervalMs=100", "poll.minIntervalMs=100");
      flags.removeIf(f -> f.startsWith("upstream.requestsPerSecond="));
      flags.add("upstream.requestsPerSecond=4");
      h.startRelay(flags);
      await("polls and video reads both under way", Duration.ofSeconds(60), () -> {
        JsonObject totals = h.sim.stats().getJsonObject("totals");
        return totals.getLong("poll_requests") >= 20
            && h.sim.stats().getJsonObject("video_totals").getLong("video_requests") >= 10;
      });
      // Both sources want far more than 4 requests/s (two rooms every 100 ms, four parts every 300 ms), so with
      // one budget 40 more requests take at least 10 s less one grant; with a budget each they would take ~5 s.
      // (A load spike can only make them slower. Arrival times at the simulator jitter, so its sliding
      // one-second maximum is not a fair measure of what the relay sent.)
      long before = h.sim.stats().getJsonObject("totals").getLong("requests");
      long started = System.nanoTime();
      await("40 more requests", Duration.ofSeconds(60),
          () -> h.sim.stats().getJsonObject("totals").getLong("requests") >= before + 40);
      double seconds = (System.nanoTime() - started) / 1e9;
      assertThat(seconds).as("seconds for 40 requests at 4/s").isGreaterThanOrEqualTo(9.5);
      JsonObject totals = h.sim.stats().getJsonObject("totals");
      assertThat(totals.getLong("requests_rejected_412")).isZero();
    }
  }
}
