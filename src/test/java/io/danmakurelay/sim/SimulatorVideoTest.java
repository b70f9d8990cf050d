package io.danmakurelay.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.video.ApiAnswer;
import io.danmakurelay.video.Episode;
import io.danmakurelay.video.Pool;
import io.danmakurelay.video.PoolDanmaku;
import io.danmakurelay.video.PoolDecoder;
import io.danmakurelay.video.PoolFormatException;
import io.danmakurelay.video.PoolParser;
import io.danmakurelay.video.Related;
import io.danmakurelay.video.RollDate;
import io.danmakurelay.video.VideoApi;
import io.danmakurelay.video.VideoInfo;
import io.danmakurelay.video.VideoPart;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The simulator's video endpoints")
class SimulatorVideoTest {

  static final long T0 = 1_764_388_800_000L;
  static final long CID = 1700011;

  final AtomicLong clock = new AtomicLong(T0);
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  Vertx vertx;
  Simulator sim;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    sim = Simulator.start(vertx, SimulatorSettings.defaults(0, 1, 1, 7), clock::get).await(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  HttpResponse<byte[]> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sim.port() + path))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  static <T> T ok(ApiAnswer<T> answer) {
    assertThat(answer).isInstanceOf(ApiAnswer.Ok.class);
    return ((ApiAnswer.Ok<T>) answer).value();
  }

  Pool pool(HttpResponse<byte[]> r) throws PoolFormatException {
    return PoolParser.parse(PoolDecoder.decode(r.headers().firstValue("Content-Encoding").orElse(null), r.body(),
        64 << 20).xml());
  }

  @Test
  @DisplayName("pagelist, archives, view, episode and author_recommend answer in the real shapes")
  void metadata() throws Exception {
    List<VideoPart> parts = ok(VideoApi.parsePagelist(200, get("/x/player/pagelist?aid=170001").body()));
    assertThat(parts).extracting(VideoPart::cid).containsExactly(1700011L, 1700012L, 1700013L);
    VideoInfo info = ok(VideoApi.parseArchives(200, get("/x/article/archives?ids=170001").body(), 170001));
    assertThat(info.title()).isEqualTo("【模拟】弹幕测试 <第一弹> & \"引号\" $1 .*");
    assertThat(info.ownerName()).isEqualTo("泠鸢yousa");
    assertThat(ok(VideoApi.parseView(200, get("/x/web-interface/view?bvid=BV17x411w7KC").body()))).isEqualTo(170001L);
    Episode ep = ok(VideoApi.parseEpisode(200, get("/web_api/episode/114928.json").body(), 114928));
    assertThat(ep.aid()).isEqualTo(14989419);
    assertThat(ep.cid()).isEqualTo(24417385);
    String recommend = new String(get("/author_recommend?aid=170001").body(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(recommend).contains("\\u").contains("\\/");
    assertThat(ok(VideoApi.parseRecommend(200, recommend.getBytes()))).extracting(Related::title)
        .containsExactly("单P视频 😀", "大弹幕池");
    assertThat(VideoApi.parsePagelist(200, get("/x/player/pagelist?aid=999").body())).isInstanceOf(ApiAnswer.NotFound.class);
  }

  @Test
  @DisplayName("a pool is raw deflate, full at maxlimit, and slides forward as danmaku arrive")
  void poolsGrow() throws Exception {
    HttpResponse<byte[]> first = get("/" + CID + ".xml");
    assertThat(first.headers().firstValue("Content-Encoding")).hasValue("deflate");
    assertThat(first.body()[0]).isNotEqualTo((byte) '<');
    Pool before = pool(first);
    assertThat(before.chatId()).isEqualTo(CID);
    assertThat(before.danmaku()).hasSize(500);
    assertThat(before.full()).isTrue();
    assertThat(before.badItems()).isZero();
    clock.addAndGet(10_000);
    Pool after = pool(get("/" + CID + ".xml"));
    List<String> beforeIds = before.danmaku().stream().map(PoolDanmaku::dmid).toList();
    List<String> afterIds = after.danmaku().stream().map(PoolDanmaku::dmid).toList();
    assertThat(afterIds).hasSize(500).containsAll(beforeIds.subList(50, 500)).doesNotContainAnyElementsOf(beforeIds.subList(0, 50));
    assertThat(sim.videoServedDmids(CID)).hasSize(550).containsAll(beforeIds).containsAll(afterIds);
    Pool plain = PoolParser.parse(get("/1700021.xml").body());
    assertThat(plain.danmaku()).hasSize(1000);
  }

  @Test
  @DisplayName("rolldate lists the backstory's dates and dmroll serves the pool as of each")
  void history() throws Exception {
    List<RollDate> dates = ok(VideoApi.parseRolldate(200, get("/rolldate," + CID).body()));
    assertThat(dates).hasSizeGreaterThan(3);
    Pool oldest = pool(get("/dmroll," + dates.get(0).timestamp() + "," + CID));
    Pool next = pool(get("/dmroll," + dates.get(1).timestamp() + "," + CID));
    assertThat(oldest.danmaku()).isNotEmpty();
    assertThat(next.danmaku().get(0).dmid()).isGreaterThan(oldest.danmaku().get(0).dmid());
    assertThat(next.danmaku().stream().map(PoolDanmaku::dmid)).containsAnyElementsOf(
        oldest.danmaku().stream().map(PoolDanmaku::dmid).toList());
    JsonObject stats = sim.stats();
    JsonObject part = stats.getJsonArray("videos").getJsonObject(0).getJsonArray("parts").getJsonObject(0);
    assertThat(part.getLong("history_reads")).isEqualTo(2);
  }

  @Test
  @DisplayName("ordered faults replace answers, and a faulty pool is not counted as served")
  void faults() throws Exception {
    sim.videoFault(CID, VideoFault.TRUNCATED, 1);
    Assertions.assertThatThrownBy(() -> pool(get("/" + CID + ".xml"))).hasMessageContaining("truncated");
    sim.videoFault(CID, VideoFault.MALFORMED, 1);
    Assertions.assertThatThrownBy(() -> pool(get("/" + CID + ".xml"))).hasMessageContaining("malformed");
    assertThat(sim.videoServedDmids(CID)).isEmpty();
    sim.videoFault(CID, VideoFault.WRONGTYPES, 1);
    Pool mixed = pool(get("/" + CID + ".xml"));
    assertThat(mixed.badItems()).isEqualTo(50);
    assertThat(sim.videoServedDmids(CID)).containsExactlyInAnyOrderElementsOf(
        mixed.danmaku().stream().map(PoolDanmaku::dmid).toList());
    sim.videoFault(170001, VideoFault.CODE_404, 1);
    assertThat(VideoApi.parsePagelist(200, get("/x/player/pagelist?aid=170001").body())).isInstanceOf(ApiAnswer.NotFound.class);
    sim.videoFault(170001, VideoFault.EMPTYDATA, 1);
    assertThat(VideoApi.parseArchives(200, get("/x/article/archives?ids=170001").body(), 170001))
        .isInstanceOf(ApiAnswer.NotFound.class);
    sim.videoFault(CID, VideoFault.HTTP404, 1);
    assertThat(get("/" + CID + ".xml").statusCode()).isEqualTo(404);
    sim.videoFault(CID, VideoFault.HUGE, 1);
    assertThat(get("/" + CID + ".xml").body().length).isEqualTo(VideoCatalog.HUGE_BYTES);
    assertThat(sim.control(new JsonObject().put("op", "video-fault").put("id", 170001).put("mode", "http412"))
        .getBoolean("ok")).isTrue();
    assertThat(get("/x/player/pagelist?aid=170001").statusCode()).isEqualTo(412);
    Assertions.assertThatThrownBy(() -> sim.control(new JsonObject().put("op", "video-fault").put("id", 5).put("mode", "x")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
