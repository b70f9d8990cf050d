package io.danmakurelay.config;

import java.util.List;
import java.util.Map;

/**
 * The whole relay configuration, immutable, built once by {@link ConfigLoader} from defaults, the
 * config file, the environment and flags. Nested records mirror the key paths of conf/config.json.
 */
public record RelayConfig(
    List<Long> rooms,
    Upstream upstream,
    Poll poll,
    Backoff backoff,
    Kafka kafka,
    Http http,
    Admin admin,
    Ws ws,
    Metrics metrics,
    Log log) {

  public RelayConfig {
    rooms = List.copyOf(rooms);
  }

  /** Talking to Bilibili. {@code api} is "ajax-msg" or "gethistory". */
  public record Upstream(
      String api,
      String url,
      String roomInitUrl,
      double requestsPerSecond,
      long timeoutMs,
      long maxBodyBytes,
      Map<String, String> headers) {
    public Upstream {
      headers = Map.copyOf(headers);
    }

    public boolean modernApi() {
      return "gethistory".equals(api);
    }
  }

  /** Which room to poll when. {@code strategy} is "adaptive" or "fixed". */
  public record Poll(String strategy, long intervalMs, long minIntervalMs, long maxIntervalMs) {}

  /** Per-room exponential backoff bounds. */
  public record Backoff(long initialMs, long maxMs) {}

  /** Where records go. An empty {@code bootstrapServers} starts the embedded broker. */
  public record Kafka(
      String bootstrapServers,
      int embeddedPort,
      String dataDir,
      String topic,
      String stateTopic,
      String transactionalId,
      int bufferSize,
      Map<String, String> producer) {
    public Kafka {
      producer = Map.copyOf(producer);
    }

    public boolean embedded() {
      return bootstrapServers.isBlank();
    }

    /** The topic of one room: {@code topic} with {@code {room}} replaced by the real room id. */
    public String topicFor(long roomId) {
      return topic.replace("{room}", Long.toString(roomId));
    }
  }

  public record Http(String host, int port, long maxBodyBytes) {}

  public record Admin(String token) {}

  public record Ws(String token, List<String> allowedOrigins, int historySize) {
    public Ws {
      allowedOrigins = List.copyOf(allowedOrigins);
    }
  }

  public record Metrics(boolean perRoom) {}

  public record Log(String format) {}
}
