package io.danmakurelay.fanout;

/**
 * The abuse and back-pressure bounds of one WebSocket connection. Fixed defaults serve the relay; tests
 * pass small ones to reach the limits quickly.
 *
 * @param maxMessageBytes   a client message (all its fragments) larger than this closes the connection (1009)
 * @param framesPerSecond   sustained client frame rate allowed; above it the connection is closed (1008)
 * @param frameBurst        frames a client may send at once before the rate applies
 * @param maxRooms          rooms one connection may be subscribed to at once
 * @param maxPendingFrames  frames written but not yet flushed to the socket before a slow client is cut off (1013)
 * @param maxPendingBytes   bytes written but not yet flushed before a slow client is cut off (1013)
 * @param cutOffGraceMillis how long a cut-off client gets to read the close frame before its TCP connection is dropped
 */
public record FanoutLimits(int maxMessageBytes, int framesPerSecond, int frameBurst, int maxRooms,
                           int maxPendingFrames, long maxPendingBytes, long cutOffGraceMillis) {

  public static final FanoutLimits DEFAULTS =
      new FanoutLimits(64 * 1024, 50, 100, 1_000, 1_000, 1024L * 1024, 2_000);

  public FanoutLimits {
    if (maxMessageBytes < 1 || framesPerSecond < 1 || frameBurst < 1 || maxRooms < 1
        || maxPendingFrames < 1 || maxPendingBytes < 1 || cutOffGraceMillis < 0) {
      throw new IllegalArgumentException("fan-out limits must be positive");
    }
  }
}
