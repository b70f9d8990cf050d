package io.danmakurelay.upstream;

/** What to do about a failed upstream call, sorted by remedy. */
public enum FailureKind {
  /** Timeouts, 5xx, unparsable bodies, generic API errors: back off this room, retry later. */
  RETRY,
  /** HTTP 412, code -412 or -352: the ban is per caller, so every room backs off hard. */
  RISK_CONTROL,
  /** The room does not exist (code 60004, or a HistoryReq.Roomid validation error): stop polling it. */
  INVALID_ROOM
}
