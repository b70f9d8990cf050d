package io.danmakurelay.video;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.pipeline.FieldMap;
import io.danmakurelay.pipeline.RecordValues;
import io.danmakurelay.pipeline.VideoDanmakuValue;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The one-pass field checks every pool item goes through, against the field-by-field checks they replace. */
class PoolFieldsTest {

  static final FieldMap.Head PART = RecordValues.videoPart(1700031, 170003, "BV17x411w7Kr", 1);

  static final String[] VALID = {
      "12.34500,1,25,16777215,1500000000,0,abcdef12,3476543210",
      "0.00000,9,1000,0,99999999999,99,ABCdef0123456789abcdef0123456789,12345678901234567890,extra,0",
      "1234567890123456.75,1,1,16777215,0,0,中文,1",
      "7,4,18,255,1,1,a,0",
      "0.9995,5,25,16711680,1500000001,1,d2c8f1a3,3476543210,10",
      // dmids at and past a long's end, and with a leading zero: not a number for the deduper, still valid.
      "1,1,25,0,0,0,a,9223372036854775807",
      "1,1,25,0,0,0,a,9223372036854775808",
      "1,1,25,0,0,0,a,9999999999999999999",
      "1,1,25,0,0,0,a,0123"};

  /** Characters a mutation puts in: the ones the checks look at, and a few they must refuse. */
  static final String ALPHABET = "0123456789.,,,,-+ xXaZ中\u00e9\u0661\uD83D\uDE00\b";

  static String mutate(SplittableRandom rng, String p) {
    StringBuilder s = new StringBuilder(p);
    int edits = 1 + rng.nextInt(3);
    for (int e = 0; e < edits; e++) {
      int at = s.length() == 0 ? 0 : rng.nextInt(s.length() + 1);
      char c = ALPHABET.charAt(rng.nextInt(ALPHABET.length()));
      switch (rng.nextInt(4)) {
        case 0 -> s.insert(at, c);
        case 1 -> {
          if (at < s.length()) {
            s.deleteCharAt(at);
          }
        }
        case 2 -> {
          if (at < s.length()) {
            s.setCharAt(at, c);
          }
        }
        default -> s.insert(at, String.valueOf(c).repeat(1 + rng.nextInt(14)));
      }
    }
    return s.toString();
  }

  @Test
  @DisplayName("200,000 mutated p attributes: the one pass accepts exactly what the field-by-field checks accept, "
      + "with the same values (the dmid's number too), and says p is plain ASCII exactly when it is")
  void sameAsTheChecksItReplaces() {
    SplittableRandom rng = new SplittableRandom(12);
    PoolParser.Fields fields = new PoolParser.Fields();
    int accepted = 0;
    int plainOnes = 0;
    for (int i = 0; i < 200_000; i++) {
      String p = i < VALID.length ? VALID[i] : mutate(rng, VALID[rng.nextInt(VALID.length)]);
      PoolDanmaku expected = PoolParser.read(p, "t", null);
      PoolDanmaku read = fields.read(p, "t");
      assertThat(read).as(p).isEqualTo(expected);
      if (read != null) {
        assertThat(read.dmidValue()).as(p).isEqualTo(PoolDanmaku.plainDecimal(read.dmid()));
        // What the record value carries: the same strings, and "plain ASCII" promised exactly when it holds.
        VideoDanmakuValue value = read.recordValue(PART, 1L);
        assertThat(value.raw().substring(value.dmidFrom(), value.dmidTo())).isEqualTo(read.dmid());
        assertThat(value.raw().substring(value.hashFrom(), value.hashTo())).isEqualTo(read.senderHash());
        assertThat(value.raw()).isEqualTo(p);
        boolean plain = p.chars().allMatch(c -> c >= 0x20 && c < 0x80 && c != '"' && c != '\\');
        assertThat(value.plainRaw()).as(p).isEqualTo(plain);
        assertThat(read.dmid()).containsOnlyDigits();
        if (plain) {
          plainOnes++;
        }
      }
      if (expected != null) {
        accepted++;
      }
    }
    // Both outcomes are exercised, not only refusals.
    assertThat(accepted).isBetween(20_000, 180_000);
    // Both kinds of p among the accepted: plain ASCII, and with something else in the hash or after the dmid.
    assertThat(plainOnes).isBetween(5_000, accepted - 5_000);
  }
}
