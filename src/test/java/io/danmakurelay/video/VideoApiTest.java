package io.danmakurelay.video;

import static io.danmakurelay.video.Fixtures.bytes;
import static io.danmakurelay.video.Fixtures.resource;
import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.upstream.FailureKind;
import io.danmakurelay.upstream.PollOutcome;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

// The fixtures are the real answers of the seed document.
class VideoApiTest {

  private static <T> T ok(ApiAnswer<T> answer) {
    assertThat(answer).isInstanceOf(ApiAnswer.Ok.class);
    return ((ApiAnswer.Ok<T>) answer).value();
  }

  @Test
  @DisplayName("pagelist of av11586438 gives its 52 parts with cid, page, title and duration")
  void pagelist() {
    List<VideoPart> parts = ok(VideoApi.parsePagelist(200, resource("pagelist-av11586438.json")));
    assertThat(parts).hasSize(52);
    assertThat(parts.get(0)).isEqualTo(new VideoPart(19147671, 1, "第1话  传说的少女", 1407));
    assertThat(parts.get(51)).isEqualTo(new VideoPart(19147686, 52, "第52话  为了心爱的人", 1388));
    assertThat(parts).extracting(VideoPart::cid).doesNotHaveDuplicates();
  }

  @Test
  @DisplayName("archives of av8086541 gives title, owner, stat, pubdate, duration and tname")
  void archives() {
    VideoInfo info = ok(VideoApi.parseArchives(200, resource("archives-av8086541.json"), 8086541));
    assertThat(info.aid()).isEqualTo(8086541);
    assertThat(info.title()).isEqualTo("【泠鸢·原创】泼墨漓江【玖玲】【茜色诗集】");
    assertThat(info.ownerMid()).isEqualTo(282994);
    assertThat(info.ownerName()).isEqualTo("泠鸢yousa");
    assertThat(info.tname()).isEqualTo("原创音乐");
    assertThat(info.pubdate()).isEqualTo(1484755580);
    assertThat(info.duration()).isEqualTo(306);
    assertThat(info.videos()).isEqualTo(1);
    assertThat(info.desc()).contains("\n").contains("av8088191");
    assertThat(info.stat().getLong("view")).isEqualTo(478942);
    assertThat(info.stat().getLong("danmaku")).isEqualTo(4452);
    assertThat(info.stat().getLong("share")).isEqualTo(5500);
  }

  @Test
  @DisplayName("the episode answer of ep114928 gives aid and cid from strings, and the season")
  void episode() {
    Episode ep = ok(VideoApi.parseEpisode(200, resource("episode-ep114928.json"), 114928));
    assertThat(ep).isEqualTo(new Episode(114928, 14989419, 24417385, "1", "复活 阿松", 6421, "第二季", "阿松 第二季"));
  }

  @Test
  @DisplayName("author_recommend unescapes \\uXXXX and \\/ into plain titles, regex metacharacters kept as text")
  void recommend() {
    List<Related> related = ok(VideoApi.parseRecommend(200, resource("author-recommend.json")));
    assertThat(related).hasSize(17);
    assertThat(related.get(0)).isEqualTo(new Related(15770997, "【泠鸢】交织together【单人版】"));
    assertThat(related).extracting(Related::title)
        .contains("平安奇妙物语【泠鸢yousa/KBShinya/祈Inory/佑可猫/玄觞/云の泣/奇然/Mario】陪伴是唯一的祈愿");
  }

  @Test
  @DisplayName("view gives the aid of a BV id; rolldate gives dates oldest first from strings")
  void viewAndRolldate() {
    assertThat(ok(VideoApi.parseView(200, bytes("{\"code\":0,\"data\":{\"bvid\":\"BV1xx411c7mD\",\"aid\":2}}"))))
        .isEqualTo(2L);
    assertThat(ok(VideoApi.parseRolldate(200, bytes(
        "[{\"timestamp\":\"1500086400\",\"new\":\"7\"},{\"timestamp\":1500000000,\"new\":\"3\"},{\"x\":1}]"))))
        .containsExactly(new RollDate(1500000000, 3), new RollDate(1500086400, 7));
    assertThat(ok(VideoApi.parseRolldate(200, bytes("[]")))).isEmpty();
  }

  @Test
  @DisplayName("-404, HTTP 404 and empty data say the video does not exist, with the upstream's reason")
  void notFound() {
    byte[] missing = bytes("{\"code\":-404,\"message\":\"啥都木有\",\"ttl\":1}");
    assertThat(VideoApi.parsePagelist(200, missing)).isEqualTo(new ApiAnswer.NotFound<>("code -404: 啥都木有"));
    assertThat(VideoApi.parseArchives(200, missing, 1)).isInstanceOf(ApiAnswer.NotFound.class);
    assertThat(VideoApi.parseView(200, missing)).isInstanceOf(ApiAnswer.NotFound.class);
    assertThat(VideoApi.parseEpisode(200, missing, 1)).isInstanceOf(ApiAnswer.NotFound.class);
    assertThat(VideoApi.parseRolldate(404, bytes("<html>404</html>"))).isEqualTo(new ApiAnswer.NotFound<>("HTTP 404"));
    assertThat(VideoApi.parsePagelist(200, bytes("{\"code\":0,\"data\":[]}"))).isInstanceOf(ApiAnswer.NotFound.class);
    assertThat(VideoApi.parseArchives(200, bytes("{\"code\":0,\"data\":{}}"), 1)).isInstanceOf(ApiAnswer.NotFound.class);
    assertThat(VideoApi.parseEpisode(200, bytes("{\"code\":0,\"result\":{}}"), 1)).isInstanceOf(ApiAnswer.NotFound.class);
    assertThat(VideoApi.parseView(200, bytes("{\"code\":0,\"data\":null}"))).isInstanceOf(ApiAnswer.NotFound.class);
  }

  @Test
  @DisplayName("412, -412 and -352 are risk control; 5xx, other codes and garbage are retried later")
  void failures() {
    assertThat(VideoApi.parsePagelist(412, bytes("<html>412</html>")))
        .isEqualTo(new ApiAnswer.Failed<>(PollOutcome.RATE_LIMITED, FailureKind.RISK_CONTROL, "HTTP 412 (risk control)"));
    assertThat(((ApiAnswer.Failed<?>) VideoApi.parseArchives(200, bytes("{\"code\":-412,\"message\":\"请求被拦截\"}"), 1))
        .kind()).isEqualTo(FailureKind.RISK_CONTROL);
    assertThat(((ApiAnswer.Failed<?>) VideoApi.parseView(200, bytes("{\"code\":-352,\"message\":\"x\"}"))).kind())
        .isEqualTo(FailureKind.RISK_CONTROL);
    ApiAnswer.Failed<?> server = (ApiAnswer.Failed<?>) VideoApi.parsePagelist(502, bytes("bad gateway"));
    assertThat(server.outcome()).isEqualTo(PollOutcome.HTTP_ERROR);
    assertThat(server.kind()).isEqualTo(FailureKind.RETRY);
    ApiAnswer.Failed<?> garbage = (ApiAnswer.Failed<?>) VideoApi.parsePagelist(200, bytes("<html>" + "x".repeat(5000)));
    assertThat(garbage.outcome()).isEqualTo(PollOutcome.PARSE_ERROR);
    assertThat(garbage.reason()).hasSizeLessThan(260);
    assertThat(((ApiAnswer.Failed<?>) VideoApi.parsePagelist(200, bytes("{\"code\":-400,\"message\":\"请求错误\"}")))
        .outcome()).isEqualTo(PollOutcome.API_ERROR);
    assertThat(((ApiAnswer.Failed<?>) VideoApi.parsePagelist(200, bytes("{\"code\":\"x\",\"data\":[]}"))).outcome())
        .isEqualTo(PollOutcome.PARSE_ERROR);
    assertThat(((ApiAnswer.Failed<?>) VideoApi.parsePagelist(200, null)).outcome()).isEqualTo(PollOutcome.PARSE_ERROR);
  }

  @Test
  @DisplayName("missing and wrongly typed fields take defaults instead of failing the answer")
  void tolerant() {
    List<VideoPart> parts = ok(VideoApi.parsePagelist(200,
        bytes("{\"code\":0,\"data\":[{\"cid\":\"5\"},{\"cid\":6,\"page\":\"x\",\"part\":7},{\"page\":3},42]}")));
    assertThat(parts).containsExactly(new VideoPart(5, 1, "", 0), new VideoPart(6, 2, "7", 0));
    VideoInfo info = ok(VideoApi.parseArchives(200, bytes("{\"code\":0,\"data\":{\"9\":{\"title\":\"t\"}}}"), 9));
    assertThat(info.aid()).isEqualTo(9);
    assertThat(info.ownerName()).isEmpty();
    assertThat(info.stat().isEmpty()).isTrue();
    assertThat(ok(VideoApi.parseRecommend(200, bytes("{\"code\":0}")))).isEmpty();
  }
}
