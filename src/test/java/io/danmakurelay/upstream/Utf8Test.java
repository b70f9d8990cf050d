package io.danmakurelay.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class Utf8Test {

  private static boolean jdk(byte[] bytes) {
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  @Test
  @DisplayName("agrees with the JDK's strict decoder on text, every code point, and random and mutated bytes")
  void agreesWithTheJdk() {
    assertThat(Utf8.valid("弹幕 danmaku 😀 \u0000".getBytes(StandardCharsets.UTF_8))).isTrue();
    for (int cp = 0; cp <= 0x10FFFF; cp += (cp < 0x11000 ? 1 : 97)) {
      if (cp >= 0xD800 && cp <= 0xDFFF) {
        continue;
      }
      byte[] b = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
      assertThat(Utf8.valid(b)).as("U+%X", cp).isTrue();
    }
    byte[][] bad = {{(byte) 0xFF}, {(byte) 0xC0, (byte) 0x80}, {(byte) 0xC3}, {(byte) 0xE4, (byte) 0xB8},
        {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
        {(byte) 0xE0, (byte) 0x80, (byte) 0x80}, {(byte) 0x80}, {(byte) 0xC3, (byte) 0x28}};
    for (byte[] b : bad) {
      assertThat(Utf8.valid(b)).isFalse();
      assertThat(jdk(b)).isFalse();
    }
    Random random = new Random(12);
    byte[] text = "弹幕 a 😀 ü".getBytes(StandardCharsets.UTF_8);
    for (int round = 0; round < 200_000; round++) {
      byte[] b = round % 2 == 0 ? new byte[random.nextInt(8)] : text.clone();
      if (round % 2 == 0) {
        random.nextBytes(b);
      } else {
        b[random.nextInt(b.length)] = (byte) random.nextInt(256);
      }
      assertThat(Utf8.valid(b)).as("%s", java.util.Arrays.toString(b)).isEqualTo(jdk(b));
    }
  }
}
