package io.danmakurelay.upstream;

/** How one poll ended; the values are the {@code outcome} label of {@code danmaku_polls_total}. */
public enum PollOutcome {
  OK("ok"),
  HTTP_ERROR("http_error"),
  API_ERROR("api_error"),
  TIMEOUT("timeout"),
  PARSE_ERROR("parse_error"),
  RATE_LIMITED("rate_limited");

  private final String label;

  PollOutcome(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
