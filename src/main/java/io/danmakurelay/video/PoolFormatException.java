package io.danmakurelay.video;

/** A pool body that cannot be read at all (bad compression, a bomb, malformed XML); its message is one line. */
public final class PoolFormatException extends Exception {

  public PoolFormatException(String reason) {
    super(reason, null, false, false);
  }
}
