package io.danmakurelay.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.Deflater;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PacketCodecTest {

  private static byte[] command(String cmd) {
    return PacketCodec.encodeJson(0, PacketCodec.OP_COMMAND, new JsonObject().put("cmd", cmd).put("data", "数据"));
  }

  /** A header written field by field, independent of the encoder. */
  private static byte[] handBuilt(int length, int headerLength, int version, int op, byte[] body) {
    return ByteBuffer.allocate(16 + body.length).putInt(length).putShort((short) headerLength)
        .putShort((short) version).putInt(op).putInt(1).put(body).array();
  }

  private static PacketException.Kind failure(byte[] frame) {
    return catchThrowableOfType(PacketException.class, () -> PacketCodec.decode(frame)).kind();
  }

  @Test
  @DisplayName("A packet is written as a 16-byte big-endian header with the total length, 16, version, op and sequence 1")
  void headerBytes() {
    byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
    byte[] packet = PacketCodec.encode(1, PacketCodec.OP_AUTH, body);
    assertThat(Arrays.copyOf(packet, 16)).containsExactly(
        0, 0, 0, 18, 0, 16, 0, 1, 0, 0, 0, 7, 0, 0, 0, 1);
    assertThat(Arrays.copyOfRange(packet, 16, 18)).isEqualTo(body);
  }

  @Test
  @DisplayName("A hand-built frame of a heartbeat reply and two commands decodes to three packets in order")
  void severalPacketsPerFrame() throws Exception {
    byte[] reply = handBuilt(20, 16, 1, 3, new byte[] {0, 0, 0x30, 0x39});
    byte[] body = "{\"cmd\":\"DANMU_MSG:4:0:2:2:2:0\",\"info\":[]}".getBytes(StandardCharsets.UTF_8);
    byte[] cmd = handBuilt(16 + body.length, 16, 0, 5, body);
    List<PacketCodec.Packet> packets = PacketCodec.decode(PacketCodec.concat(List.of(reply, cmd, cmd)));
    assertThat(packets).extracting(PacketCodec.Packet::op).containsExactly(3, 5, 5);
    assertThat(packets.get(0).popularity()).isEqualTo(12345);
    assertThat(packets.get(1).command().getString("cmd")).isEqualTo("DANMU_MSG:4:0:2:2:2:0");
  }

  @Test
  @DisplayName("A zlib body inflates to several packets, which are parsed again")
  void zlibBody() throws Exception {
    byte[] inner = PacketCodec.concat(List.of(command("A"), command("B"), command("C")));
    Deflater deflater = new Deflater();
    deflater.setInput(inner);
    deflater.finish();
    byte[] buf = new byte[4096];
    int n = deflater.deflate(buf);
    byte[] frame = handBuilt(16 + n, 16, 2, 5, Arrays.copyOf(buf, n));
    assertThat(PacketCodec.decode(frame)).extracting(p -> p.command().getString("cmd")).containsExactly("A", "B", "C");
  }

  @Test
  @DisplayName("A brotli body inflates to several packets, and a frame may mix brotli, zlib and plain packets")
  void brotliBody() throws Exception {
    byte[] brotli = PacketCodec.compressed(3, PacketCodec.concat(List.of(command("A"), command("B"))));
    byte[] zlib = PacketCodec.compressed(2, command("C"));
    byte[] frame = PacketCodec.concat(List.of(brotli, zlib, command("D")));
    assertThat(PacketCodec.decode(frame)).extracting(p -> p.command().getString("cmd"))
        .containsExactly("A", "B", "C", "D");
    assertThat(Arrays.copyOfRange(brotli, 6, 8)).containsExactly(0, 3);
  }

  @Test
  @DisplayName("A brotli or zlib bomb (a small body inflating beyond the bound) is refused as too large")
  void bombs() {
    byte[] zeros = new byte[9 * 1024 * 1024];
    byte[] padded = PacketCodec.encode(0, PacketCodec.OP_COMMAND, zeros);
    byte[] brotliBomb = PacketCodec.compressed(3, padded);
    byte[] zlibBomb = PacketCodec.compressed(2, padded);
    assertThat(brotliBomb.length).isLessThan(64 * 1024);
    assertThat(failure(brotliBomb)).isEqualTo(PacketException.Kind.TOO_LARGE);
    assertThat(failure(zlibBomb)).isEqualTo(PacketException.Kind.TOO_LARGE);
  }

  @Test
  @DisplayName("Malformed frames give one typed error each: truncated, length over the frame, header length, version, JSON")
  void malformed() {
    byte[] good = command("A");
    assertThat(failure(Arrays.copyOf(good, 10))).isEqualTo(PacketException.Kind.TRUNCATED);
    assertThat(failure(new byte[0])).isEqualTo(PacketException.Kind.TRUNCATED);
    assertThat(failure(Arrays.copyOf(good, good.length - 3))).isEqualTo(PacketException.Kind.LENGTH_OVER_FRAME);
    assertThat(failure(handBuilt(Integer.MAX_VALUE, 16, 0, 5, new byte[4]))).isEqualTo(PacketException.Kind.LENGTH_OVER_FRAME);
    assertThat(failure(handBuilt(-1, 16, 0, 5, new byte[4]))).isEqualTo(PacketException.Kind.LENGTH_OVER_FRAME);
    assertThat(failure(handBuilt(8, 16, 0, 5, new byte[0]))).isEqualTo(PacketException.Kind.TRUNCATED);
    assertThat(failure(handBuilt(20, 12, 0, 5, new byte[4]))).isEqualTo(PacketException.Kind.BAD_HEADER_LENGTH);
    assertThat(failure(handBuilt(20, 16, 9, 5, new byte[4]))).isEqualTo(PacketException.Kind.UNKNOWN_VERSION);
    byte[] html = "<html>".getBytes(StandardCharsets.UTF_8);
    assertThat(failure(handBuilt(16 + html.length, 16, 0, 5, html))).isEqualTo(PacketException.Kind.NOT_JSON);
    byte[] array = "[1]".getBytes(StandardCharsets.UTF_8);
    assertThat(failure(handBuilt(19, 16, 0, 5, array))).isEqualTo(PacketException.Kind.NOT_JSON);
    byte[] noCmd = "{\"x\":1}".getBytes(StandardCharsets.UTF_8);
    assertThat(failure(handBuilt(16 + noCmd.length, 16, 0, 5, noCmd))).isEqualTo(PacketException.Kind.NOT_JSON);
    byte[] corrupt = new byte[40];
    new Random(1).nextBytes(corrupt);
    assertThat(failure(handBuilt(56, 16, 2, 5, corrupt))).isEqualTo(PacketException.Kind.INFLATE_FAILED);
    assertThat(failure(handBuilt(56, 16, 3, 5, corrupt))).isEqualTo(PacketException.Kind.INFLATE_FAILED);
  }

  @Test
  @DisplayName("Random binary garbage never escapes as anything but a PacketException")
  void garbage() {
    Random random = new Random(42);
    for (int i = 0; i < 5_000; i++) {
      byte[] frame = new byte[random.nextInt(80)];
      random.nextBytes(frame);
      if (frame.length >= 8 && random.nextBoolean()) {
        ByteBuffer.wrap(frame).putInt(frame.length).putShort((short) 16).putShort((short) random.nextInt(4));
      }
      try {
        PacketCodec.decode(frame);
      } catch (PacketException expected) {
        assertThat(expected.getStackTrace()).isEmpty();
      }
    }
  }

  @Test
  @DisplayName("The frames a compressed body holds are counted against one bound for the whole frame")
  void boundIsPerFrame() {
    byte[] half = PacketCodec.compressed(2, PacketCodec.encode(0, 2, new byte[5 * 1024 * 1024]));
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame.writeBytes(half);
    frame.writeBytes(half);
    assertThat(failure(frame.toByteArray())).isEqualTo(PacketException.Kind.TOO_LARGE);
  }
}
