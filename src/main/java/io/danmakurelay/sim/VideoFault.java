package io.danmakurelay.sim;

import java.util.Arrays;
import java.util.Optional;

/** The ways a video endpoint's answer can go wrong on request ({@code POST /sim/control} op {@code video-fault}). */
public enum VideoFault {
  /** HTTP 404 with an HTML page. */
  HTTP404("http404"),
  /** 200 {@code {"code":-404,"message":"啥都木有"}}. */
  CODE_404("code-404"),
  /** 200 {@code {"code":0,"data":{}}} (an empty array for pagelist). */
  EMPTYDATA("emptydata"),
  /** A pool whose XML breaks off in the middle of an element. */
  MALFORMED("malformed"),
  /** A raw-deflate pool cut in half. */
  TRUNCATED("truncated"),
  /** A pool where some items carry wrong types in {@code p} (the others are fine and count as served). */
  WRONGTYPES("wrongtypes"),
  /**
   * A pool whose danmaku texts carry characters XML 1.0 forbids, as real pools do (raw U+0008 and {@code &#1;}, every
   * seventh item); every item counts as served: the relay must keep them.
   */
  FORBIDDENCHARS("forbiddenchars"),
  /** A 50 MB body, streamed. */
  HUGE("huge"),
  /** HTTP 412 with the risk-control page. */
  HTTP412("http412");

  private final String wireName;

  VideoFault(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  public static Optional<VideoFault> fromWire(String name) {
    return Arrays.stream(values()).filter(m -> m.wireName.equals(name)).findFirst();
  }

  static String names() {
    return String.join(", ", Arrays.stream(values()).map(VideoFault::wireName).toList());
  }
}
