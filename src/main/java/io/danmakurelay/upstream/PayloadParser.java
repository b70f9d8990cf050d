package io.danmakurelay.upstream;

import io.vertx.core.buffer.Buffer;

/**
 * Parses upstream answers (both poll APIs and room_init) into values, classifying every failure.
 * Pure logic: never throws on bad input. API STUB - to be implemented.
 */
public final class PayloadParser {

  private PayloadParser() {}

  /** Parses a poll answer given its HTTP status, Content-Type header (may be null) and body. */
  public static PollResult parsePoll(int httpStatus, String contentType, Buffer body) {
    throw new UnsupportedOperationException("stub");
  }

  /** Parses a room_init answer. */
  public static RoomInitResult parseRoomInit(int httpStatus, String contentType, Buffer body) {
    throw new UnsupportedOperationException("stub");
  }
}
