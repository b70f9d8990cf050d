package io.danmakurelay.config;

import java.util.List;
import java.util.Map;

/**
 * The whole relay configuration, immutable, built once by {@link ConfigLoader} from defaults, the
 * config file, the environment and flags. Nested records mirror the key paths of conf/config.json.
 */
public record RelayConfig(
    List<Long> rooms,
    List<String> videos,
    Upstream upstream,
    Poll poll,
    Backoff backoff,
    Push push,
    Video video,
    Kafka kafka,
    Http http,
    Admin admin,
    Ws ws,
    Metrics metrics,
    Log log,
    Cluster cluster) {

  public RelayConfig {
    rooms = List.copyOf(rooms);
    videos = List.copyOf(videos);
  }

  /**
   * Talking to Bilibili. {@code mode} is "poll", "push" or "hybrid"; {@code api} is "ajax-msg" or
   * "gethistory". {@code cookie} is a secret: {@link #toString()} never shows it.
   */
  public record Upstream(
      String mode,
      String api,
      String url,
      String roomInitUrl,
      double requestsPerSecond,
      long timeoutMs,
      long maxBodyBytes,
      Map<String, String> headers,
      String danmuInfoUrl,
      String navUrl,
      String buvidUrl,
      String cookie,
      long uid) {
    public Upstream {
      headers = Map.copyOf(headers);
    }

    public boolean modernApi() {
      return "gethistory".equals(api);
    }

    public boolean pushEnabled() {
      return !"poll".equals(mode);
    }

    @Override
    public String toString() {
      return "Upstream[mode=" + mode + ", api=" + api + ", url=" + url + ", roomInitUrl=" + roomInitUrl
          + ", requestsPerSecond=" + requestsPerSecond + ", timeoutMs=" + timeoutMs + ", maxBodyBytes=" + maxBodyBytes
          + ", headers=" + headers.keySet() + ", danmuInfoUrl=" + danmuInfoUrl + ", navUrl=" + navUrl
          + ", buvidUrl=" + buvidUrl + ", cookie=" + (cookie.isEmpty() ? "" : "(set)") + ", uid=" + uid + "]";
    }
  }

  /**
   * Which room to poll when. {@code strategy} is "adaptive" or "fixed"; a room someone watches over
   * {@code /ws} is polled often enough for its messages to arrive within {@code watchedMaxDelayMs}.
   */
  public record Poll(String strategy, long intervalMs, long minIntervalMs, long maxIntervalMs,
      long watchedMaxDelayMs) {}

  /** The live push stream (SPEC §1b): heartbeat cadence and the per-room reconnect delay bounds. */
  public record Push(long heartbeatMs, long reconnectInitialMs, long reconnectMaxMs) {}

  /**
   * Video danmaku (SPEC §1c): endpoint templates ({@code {aid}}, {@code {bvid}}, {@code {ep}}, {@code {cid}},
   * {@code {timestamp}}), how often a part's pool is read again, and whether its history is read too.
   */
  public record Video(
      String pagelistUrl,
      String archivesUrl,
      String viewUrl,
      String episodeUrl,
      String commentUrl,
      String rolldateUrl,
      String dmrollUrl,
      String recommendUrl,
      long minIntervalMs,
      long maxIntervalMs,
      boolean history) {}

  /** Several relays sharing the rooms through Kafka's group protocol (SPEC §8). */
  /**
   * @param sessionTimeoutMs the group's session timeout: a relay silent this long loses its partitions
   *                         (heartbeats every third of it)
   */
  public record Cluster(boolean enabled, String group, String instanceId, int partitions, int sessionTimeoutMs) {}

  /** Per-room exponential backoff bounds. */
  public record Backoff(long initialMs, long maxMs) {}

  /** Where records go. An empty {@code bootstrapServers} starts the embedded broker. */
  public record Kafka(
      String bootstrapServers,
      int embeddedPort,
      String dataDir,
      String topic,
      String stateTopic,
      String eventsTopic,
      String videoTopic,
      String videoMetaTopic,
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
