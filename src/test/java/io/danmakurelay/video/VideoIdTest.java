package io.danmakurelay.video;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VideoIdTest {

  @Test
  @DisplayName("av170001, 170001 and the number 170001 are the same aid")
  void aids() {
    assertThat(VideoId.parse("av170001")).isEqualTo(VideoId.aid(170001));
    assertThat(VideoId.parse("AV170001")).isEqualTo(VideoId.aid(170001));
    assertThat(VideoId.parse("170001")).isEqualTo(VideoId.aid(170001));
    assertThat(VideoId.parse(170001)).isEqualTo(VideoId.aid(170001));
    assertThat(VideoId.parse(" 170001 ").canonical()).isEqualTo("av170001");
  }

  @Test
  @DisplayName("a BV id keeps its case-sensitive body and an ep id is an episode")
  void bvidAndEpisode() {
    VideoId bv = VideoId.parse("BV1xx411c7mD");
    assertThat(bv.kind()).isEqualTo(VideoId.Kind.BVID);
    assertThat(bv.bvid()).isEqualTo("BV1xx411c7mD");
    assertThat(bv.canonical()).isEqualTo("BV1xx411c7mD");
    VideoId ep = VideoId.parse("ep114928");
    assertThat(ep.kind()).isEqualTo(VideoId.Kind.EPISODE);
    assertThat(ep.number()).isEqualTo(114928);
    assertThat(ep.canonical()).isEqualTo("ep114928");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "av", "av-1", "0", "av0", "BV1xx411c7m", "BV1xx411c7mDD", "BV1xx411c7m0", "ep",
      "ss6421", "1.5", "12345678901234567", "<script>", "av12 34"})
  @DisplayName("anything else is refused with a message saying what a video id looks like")
  void refusesOthers(String given) {
    assertThatThrownBy(() -> VideoId.parse(given)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(VideoId.EXPECTED);
  }

  @Test
  @DisplayName("null, fractions, negatives and non-string values are refused")
  void refusesWrongTypes() {
    assertThatThrownBy(() -> VideoId.parse(null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> VideoId.parse(1.5)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> VideoId.parse(-3)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> VideoId.parse(java.util.List.of())).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("a long hostile id is echoed capped, without control characters")
  void capsEcho() {
    assertThatThrownBy(() -> VideoId.parse("x".repeat(500) + "\n"))
        .hasMessageNotContaining("\n").satisfies(e -> assertThat(e.getMessage().length()).isLessThan(200));
  }
}
