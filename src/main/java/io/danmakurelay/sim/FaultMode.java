package io.danmakurelay.sim;

import java.util.Arrays;
import java.util.Optional;

/** The ways a poll answer can go wrong on request ({@code POST /sim/control} op {@code fault}). */
public enum FaultMode {
  /** HTTP 412 with an HTML page, like risk control. */
  HTTP412("http412"),
  /** 200 {@code {"code":-412,...}}: request intercepted. */
  CODE_412("code-412"),
  /** 200 {@code {"code":-352,...}}: risk check failed. */
  CODE_352("code-352"),
  /** 200 {@code {"code":-400,...}}: bad request. */
  CODE_400("code-400"),
  HTTP500("http500"),
  HTTP502("http502"),
  HTTP503("http503"),
  /** Answers only after 60 s (a client times out first). */
  SLOW("slow"),
  /** Closes the connection without an answer. */
  RESET("reset"),
  /** A 200 JSON answer whose body stops in the middle. */
  TRUNCATED("truncated"),
  /** A 200 HTML page instead of JSON. */
  NONJSON("nonjson"),
  /** A 10 MB JSON body, streamed. */
  HUGE("huge"),
  /** Valid JSON with fields of the wrong types. */
  WRONGTYPES("wrongtypes"),
  /** {@code {"code":0,"data":{}}}. */
  EMPTYDATA("emptydata"),
  /** The {@code HistoryReq.Roomid} validation error of an unknown room. */
  ROOMID("roomid");

  private final String wireName;

  FaultMode(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  public static Optional<FaultMode> fromWire(String name) {
    return Arrays.stream(values()).filter(m -> m.wireName.equals(name)).findFirst();
  }
}
