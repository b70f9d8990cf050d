package io.danmakurelay.fanout;

import java.util.List;

/**
 * WebSocket settings from the {@code ws} config keys.
 *
 * @param historySize    messages kept per room for resume ({@code ws.historySize})
 * @param token          when not empty, {@code /ws} needs {@code ?token=TOKEN}
 * @param allowedOrigins when not empty, {@code /ws} refuses other {@code Origin}s
 */
public record FanoutSettings(int historySize, String token, List<String> allowedOrigins) {
  public FanoutSettings {
    allowedOrigins = List.copyOf(allowedOrigins);
  }
}
