package io.danmakurelay.pipeline;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A JSON value inside a record value, kept as the UTF-8 bytes it arrived in (a poll answer's item under
 * {@code raw}: SPEC §4's "the upstream item exactly as received"). The sink's encoder writes these bytes in
 * place; nothing parses them into a tree to serialise it again. Immutable; the bytes must be one complete JSON
 * value (the parser that cut them out of a valid answer guarantees it).
 */
public final class RawJson {

  private final byte[] bytes;

  /** Takes {@code bytes} as they are: the caller hands them over and does not change them. */
  public RawJson(byte[] bytes) {
    this.bytes = bytes;
  }

  /** The value's bytes (not a copy: do not change them). */
  public byte[] bytes() {
    return bytes;
  }

  /** The value as a tree, for readers that need one (tests, diagnostics): parses the bytes each time. */
  public JsonObject toJsonObject() {
    return new JsonObject(Buffer.buffer(bytes));
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof RawJson raw && Arrays.equals(bytes, raw.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  /** The JSON text itself. */
  @Override
  public String toString() {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
