package io.danmakurelay.push;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.decoder.BrotliInputStream;
import com.aayushatharva.brotli4j.encoder.Encoder;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The push stream's packet format (SPEC §1b): a 16-byte big-endian header (u32 packet length, u16 header
 * length, u16 version, u32 operation, u32 sequence) and a body. Reads a WebSocket frame into its plain
 * packets, inflating zlib (version 2) and brotli (version 3) bodies, which hold further packets, within a
 * bound on the bytes inflated per frame; writes packets for the client and the simulator. Pure: bytes in,
 * packets or one {@link PacketException} out.
 */
public final class PacketCodec {

  public static final int HEADER_LENGTH = 16;

  public static final int VERSION_JSON = 0;
  public static final int VERSION_CLIENT = 1;
  public static final int VERSION_ZLIB = 2;
  public static final int VERSION_BROTLI = 3;

  public static final int OP_HEARTBEAT = 2;
  public static final int OP_HEARTBEAT_REPLY = 3;
  public static final int OP_COMMAND = 5;
  public static final int OP_AUTH = 7;
  public static final int OP_AUTH_REPLY = 8;

  /** Bytes a frame may inflate to in total: a compression bomb is refused rather than held in memory. */
  public static final int DEFAULT_MAX_INFLATED_BYTES = 8 * 1024 * 1024;

  /** Compressed bodies inside compressed bodies are not sent by the upstream; one more level is tolerated. */
  private static final int MAX_NESTING = 2;

  /**
   * One plain packet.
   *
   * @param version  0 (JSON) or 1 (heartbeat, auth and their replies)
   * @param op       the operation
   * @param sequence the header's sequence field
   * @param body     the body bytes
   * @param command  for operation 5 and the auth reply, the body as a JSON object; else null
   */
  public record Packet(int version, int op, int sequence, byte[] body, JsonObject command) {

    /** The heartbeat reply's popularity (u32), or -1 when the body is too short. */
    public long popularity() {
      return body.length >= 4 ? ByteBuffer.wrap(body).getInt() & 0xffff_ffffL : -1;
    }
  }

  private PacketCodec() {}

  /** One packet with the given header fields and body, uncompressed. */
  public static byte[] encode(int version, int op, byte[] body) {
    ByteBuffer out = ByteBuffer.allocate(HEADER_LENGTH + body.length);
    out.putInt(HEADER_LENGTH + body.length).putShort((short) HEADER_LENGTH).putShort((short) version)
        .putInt(op).putInt(1).put(body);
    return out.array();
  }

  public static byte[] encodeJson(int version, int op, JsonObject body) {
    return encode(version, op, body.encode().getBytes(StandardCharsets.UTF_8));
  }

  /** The packets one after the other, as one frame (or one compressed body) holds them. */
  public static byte[] concat(List<byte[]> packets) {
    int size = 0;
    for (byte[] p : packets) {
      size += p.length;
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    packets.forEach(out::put);
    return out.array();
  }

  /** A command packet whose body is {@code packets} compressed with zlib (version 2) or brotli (3). */
  public static byte[] compressed(int version, byte[] packets) {
    byte[] body = switch (version) {
      case VERSION_ZLIB -> deflate(packets);
      case VERSION_BROTLI -> brotli(packets);
      default -> throw new IllegalArgumentException("not a compressed version: " + version);
    };
    return encode(version, OP_COMMAND, body);
  }

  /** Every plain packet of a frame, compressed bodies inflated (at most 8 MiB in all). */
  public static List<Packet> decode(byte[] frame) throws PacketException {
    return decode(frame, DEFAULT_MAX_INFLATED_BYTES);
  }

  /** Every plain packet of a frame, compressed bodies inflated within {@code maxInflatedBytes} in all. */
  public static List<Packet> decode(byte[] frame, int maxInflatedBytes) throws PacketException {
    List<Packet> out = new ArrayList<>();
    int[] budget = {maxInflatedBytes};
    split(frame, 0, out, budget);
    return out;
  }

  private static void split(byte[] data, int depth, List<Packet> out, int[] budget) throws PacketException {
    if (data.length == 0) {
      throw new PacketException(PacketException.Kind.TRUNCATED, "empty frame");
    }
    ByteBuffer in = ByteBuffer.wrap(data);
    while (in.hasRemaining()) {
      int start = in.position();
      if (in.remaining() < HEADER_LENGTH) {
        throw new PacketException(PacketException.Kind.TRUNCATED,
            in.remaining() + " bytes left at offset " + start + ", less than a header");
      }
      long length = in.getInt() & 0xffff_ffffL;
      int headerLength = in.getShort() & 0xffff;
      int version = in.getShort() & 0xffff;
      int op = in.getInt();
      int sequence = in.getInt();
      if (headerLength != HEADER_LENGTH) {
        throw new PacketException(PacketException.Kind.BAD_HEADER_LENGTH,
            "header length " + headerLength + " at offset " + start);
      }
      if (length < HEADER_LENGTH) {
        throw new PacketException(PacketException.Kind.TRUNCATED,
            "packet length " + length + " shorter than its header at offset " + start);
      }
      if (length > data.length - start) {
        throw new PacketException(PacketException.Kind.LENGTH_OVER_FRAME,
            "packet length " + length + " at offset " + start + " but " + (data.length - start) + " bytes left");
      }
      byte[] body = new byte[(int) length - HEADER_LENGTH];
      in.get(body);
      switch (version) {
        case VERSION_JSON, VERSION_CLIENT -> out.add(plain(version, op, sequence, body));
        case VERSION_ZLIB, VERSION_BROTLI -> {
          if (depth >= MAX_NESTING) {
            throw new PacketException(PacketException.Kind.UNKNOWN_VERSION, "compressed bodies nested too deep");
          }
          byte[] inflated = version == VERSION_ZLIB ? inflate(body, budget) : unbrotli(body, budget);
          split(inflated, depth + 1, out, budget);
        }
        default -> throw new PacketException(PacketException.Kind.UNKNOWN_VERSION,
            "protocol version " + version + " at offset " + start);
      }
    }
  }

  private static Packet plain(int version, int op, int sequence, byte[] body) throws PacketException {
    JsonObject json = null;
    if (op == OP_COMMAND || op == OP_AUTH_REPLY || op == OP_AUTH) {
      try {
        Object parsed = io.vertx.core.json.Json.decodeValue(new String(body, StandardCharsets.UTF_8));
        if (!(parsed instanceof JsonObject object)) {
          throw new PacketException(PacketException.Kind.NOT_JSON, "operation " + op + " body is not a JSON object");
        }
        json = object;
      } catch (DecodeException e) {
        throw new PacketException(PacketException.Kind.NOT_JSON, "operation " + op + " body is not JSON");
      }
      if (op == OP_COMMAND && !(json.getValue("cmd") instanceof String)) {
        throw new PacketException(PacketException.Kind.NOT_JSON, "command without a string 'cmd'");
      }
    }
    return new Packet(version, op, sequence, body, json);
  }

  private static byte[] inflate(byte[] body, int[] budget) throws PacketException {
    Inflater inflater = new Inflater();
    try {
      inflater.setInput(body);
      ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(budget[0], body.length * 4 + 64));
      byte[] chunk = new byte[16 * 1024];
      while (!inflater.finished()) {
        int n = inflater.inflate(chunk);
        if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
          throw new PacketException(PacketException.Kind.INFLATE_FAILED, "zlib body ends early");
        }
        spend(budget, n);
        out.write(chunk, 0, n);
      }
      return out.toByteArray();
    } catch (DataFormatException e) {
      throw new PacketException(PacketException.Kind.INFLATE_FAILED, "zlib body is corrupt");
    } finally {
      inflater.end();
    }
  }

  private static byte[] unbrotli(byte[] body, int[] budget) throws PacketException {
    if (!Brotli4jLoader.isAvailable()) {
      throw new PacketException(PacketException.Kind.INFLATE_FAILED, "brotli natives are not available");
    }
    try (BrotliInputStream in = new BrotliInputStream(new ByteArrayInputStream(body))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(budget[0], body.length * 4 + 64));
      byte[] chunk = new byte[16 * 1024];
      int n;
      while ((n = in.read(chunk)) != -1) {
        spend(budget, n);
        out.write(chunk, 0, n);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new PacketException(PacketException.Kind.INFLATE_FAILED, "brotli body is corrupt");
    }
  }

  private static void spend(int[] budget, int n) throws PacketException {
    budget[0] -= n;
    if (budget[0] < 0) {
      throw new PacketException(PacketException.Kind.TOO_LARGE, "frame inflates beyond the bound");
    }
  }

  private static byte[] deflate(byte[] data) {
    Deflater deflater = new Deflater();
    try {
      deflater.setInput(data);
      deflater.finish();
      ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 2 + 64);
      byte[] chunk = new byte[16 * 1024];
      while (!deflater.finished()) {
        out.write(chunk, 0, deflater.deflate(chunk));
      }
      return out.toByteArray();
    } finally {
      deflater.end();
    }
  }

  private static byte[] brotli(byte[] data) {
    ensureBrotli();
    try {
      return Encoder.compress(data, new Encoder.Parameters().setQuality(4));
    } catch (IOException e) {
      throw new IllegalStateException("brotli encoding failed", e);
    }
  }

  private static void ensureBrotli() {
    if (!Brotli4jLoader.isAvailable()) {
      throw new IllegalStateException("brotli natives did not load", Brotli4jLoader.getUnavailabilityCause());
    }
  }
}
