package io.danmakurelay.dedupe;

import io.danmakurelay.upstream.Danmaku;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Short SHA-256 digests of messages: the fingerprint that aligns windows and the base of legacy dedupe ids.
 * Not thread-safe (one digest instance per room, like the deduper that owns it).
 */
final class Fingerprints {

  /** 16 hex digits = 64 bits: collisions among a room's few dozen retained items are out of reach. */
  private static final int HEX_CHARS = 16;

  private final MessageDigest sha256;
  private final StringBuilder scratch = new StringBuilder(128);

  Fingerprints() {
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  /**
   * What makes two legacy items "the same message as seen twice": every field the upstream fixes at send
   * time. Two real messages can share it (one viewer repeating a text within a second), which is why the
   * deduper aligns sequences instead of treating it as a key.
   */
  String fingerprint(Danmaku item) {
    scratch.setLength(0);
    field(Long.toString(item.uid()));
    field(item.text());
    field(item.timeline());
    field(item.rnd());
    field(item.nickname());
    field(item.checkCt() == null ? "" : item.checkCt());
    return digest();
  }

  /** The stable part of a legacy dedupe id; an occurrence number is appended to tell repeats apart. */
  String idBase(long roomId, Danmaku item) {
    scratch.setLength(0);
    field(Long.toString(roomId));
    field(item.list().wireName());
    field(Long.toString(item.uid()));
    field(item.timeline());
    field(item.text());
    field(item.rnd());
    return digest();
  }

  /** Length-prefixed so that no text can make two different field lists encode alike. */
  private void field(String value) {
    scratch.append(value.length()).append(':').append(value).append('\u001f');
  }

  private String digest() {
    byte[] hash = sha256.digest(scratch.toString().getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(hash, 0, HEX_CHARS / 2);
  }
}
