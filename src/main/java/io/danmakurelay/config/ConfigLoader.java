package io.danmakurelay.config;

import io.danmakurelay.upstream.RoomId;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Builds the {@link RelayConfig} once: the defaults of conf/config.json (bundled in the jar) &lt; a config
 * file &lt; {@code DANMAKU_*} environment variables &lt; command-line flags. Every problem is a
 * {@link ConfigException} whose one-line message names the key; unknown keys are errors, not ignored.
 */
public final class ConfigLoader {

  public static final String ENV_PREFIX = "DANMAKU_";
  private static final String DEFAULTS_RESOURCE = "conf/config.json";
  /** Objects whose entries are the user's own (headers, producer properties), not config keys. */
  private static final Set<String> FREE_FORM = Set.of("upstream.headers", "kafka.producer");
  private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._\\-{}]{1,249}");
  private static final Pattern CAMEL_HUMP = Pattern.compile("([a-z0-9])([A-Z])");

  private ConfigLoader() {}

  /** The defaults alone, as shipped in conf/config.json. */
  public static JsonObject defaults() {
    try (InputStream in = ConfigLoader.class.getClassLoader().getResourceAsStream(DEFAULTS_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(DEFAULTS_RESOURCE + " is missing from the classpath");
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read bundled " + DEFAULTS_RESOURCE, e);
    }
  }

  /**
   * Loads the configuration.
   *
   * @param file      a config file to read, or null for none
   * @param env       the environment (only {@code DANMAKU_*} entries are read)
   * @param overrides {@code key.path=value} pairs from the command line, applied last
   */
  public static RelayConfig load(Path file, Map<String, String> env, List<String> overrides) {
    JsonObject defaults = defaults();
    JsonObject merged = defaults.copy();
    if (file != null) {
      JsonObject fromFile = readFile(file);
      checkKnownKeys(defaults, fromFile, "", file.toString());
      deepMerge(merged, fromFile);
    }
    Map<String, String> leafByEnvName = envNames(defaults);
    new TreeMap<>(env).forEach((name, value) -> {
      if (!name.startsWith(ENV_PREFIX)) {
        return;
      }
      String path = leafByEnvName.get(name.substring(ENV_PREFIX.length()));
      if (path == null) {
        throw new ConfigException("environment variable " + name + " names no config key");
      }
      set(merged, path, convert(path, lookup(defaults, path), value, name));
    });
    for (String override : overrides) {
      int eq = override.indexOf('=');
      if (eq <= 0) {
        throw new ConfigException("--set " + override + ": expected KEY=VALUE, e.g. kafka.topic=danmaku");
      }
      String path = override.substring(0, eq).trim();
      Object defaultValue = lookup(defaults, path);
      if (defaultValue == null && !isFreeFormEntry(path)) {
        throw new ConfigException("--set " + path + ": no such config key");
      }
      set(merged, path, convert(path, defaultValue, override.substring(eq + 1), "--set " + path));
    }
    return build(merged);
  }

  private static JsonObject readFile(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ConfigException("config file " + file + ": not found");
    } catch (IOException e) {
      throw new ConfigException("config file " + file + ": cannot be read (" + e.getMessage() + ")");
    }
    try {
      return new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw new ConfigException("config file " + file + ": not a JSON object (" + firstLine(e.getMessage()) + ")");
    }
  }

  private static void checkKnownKeys(JsonObject defaults, JsonObject given, String prefix, String source) {
    for (String key : given.fieldNames()) {
      String path = prefix + key;
      if (!defaults.containsKey(key)) {
        throw new ConfigException(source + ": unknown key " + path);
      }
      Object def = defaults.getValue(key);
      Object value = given.getValue(key);
      if (def instanceof JsonObject defObject && !FREE_FORM.contains(path)) {
        if (!(value instanceof JsonObject valueObject)) {
          throw new ConfigException(path + ": must be an object, got " + describe(value));
        }
        checkKnownKeys(defObject, valueObject, path + ".", source);
      }
    }
  }

  private static void deepMerge(JsonObject target, JsonObject source) {
    for (String key : source.fieldNames()) {
      Object value = source.getValue(key);
      Object existing = target.getValue(key);
      if (value instanceof JsonObject v && existing instanceof JsonObject e) {
        deepMerge(e, v);
      } else {
        target.put(key, value);
      }
    }
  }

  /** Maps both spellings of each key's environment name (KAFKA_BOOTSTRAP_SERVERS, KAFKA_BOOTSTRAPSERVERS). */
  private static Map<String, String> envNames(JsonObject defaults) {
    Map<String, String> names = new LinkedHashMap<>();
    collectLeaves(defaults, "", names);
    return names;
  }

  private static void collectLeaves(JsonObject node, String prefix, Map<String, String> names) {
    for (String key : node.fieldNames()) {
      String path = prefix + key;
      Object value = node.getValue(key);
      if (value instanceof JsonObject child && !FREE_FORM.contains(path)) {
        collectLeaves(child, path + ".", names);
      } else {
        names.put(path.replace('.', '_').toUpperCase(Locale.ROOT), path);
        names.put(CAMEL_HUMP.matcher(path).replaceAll("$1_$2").replace('.', '_').toUpperCase(Locale.ROOT), path);
      }
    }
  }

  private static boolean isFreeFormEntry(String path) {
    return FREE_FORM.stream().anyMatch(prefix -> path.startsWith(prefix + ".") && path.length() > prefix.length() + 1);
  }

  private static Object lookup(JsonObject root, String path) {
    Object node = root;
    for (String part : path.split("\\.", -1)) {
      if (!(node instanceof JsonObject object) || !object.containsKey(part)) {
        return null;
      }
      node = object.getValue(part);
    }
    return node;
  }

  private static void set(JsonObject root, String path, Object value) {
    if (isFreeFormEntry(path)) {
      String prefix = FREE_FORM.stream().filter(p -> path.startsWith(p + ".")).findFirst().orElseThrow();
      JsonObject map = (JsonObject) lookup(root, prefix);
      map.put(path.substring(prefix.length() + 1), value);
      return;
    }
    String[] parts = path.split("\\.");
    JsonObject node = root;
    for (int i = 0; i < parts.length - 1; i++) {
      node = node.getJsonObject(parts[i]);
    }
    node.put(parts[parts.length - 1], value);
  }

  /** Reads a string from the environment or a flag as the type the key's default has. */
  private static Object convert(String path, Object defaultValue, String raw, String source) {
    String text = raw.trim();
    if (defaultValue == null || defaultValue instanceof String) {
      return raw;
    }
    if (defaultValue instanceof Boolean) {
      if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
        return Boolean.parseBoolean(text.toLowerCase(Locale.ROOT));
      }
      throw new ConfigException(source + ": " + path + " must be true or false, got \"" + raw + "\"");
    }
    if (defaultValue instanceof Number) {
      try {
        return text.contains(".") || text.contains("e") || text.contains("E")
            ? (Object) Double.parseDouble(text)
            : (Object) Long.parseLong(text);
      } catch (NumberFormatException e) {
        throw new ConfigException(source + ": " + path + " must be a number, got \"" + raw + "\"");
      }
    }
    if (defaultValue instanceof JsonArray) {
      if (text.startsWith("[")) {
        try {
          return new JsonArray(text);
        } catch (DecodeException e) {
          throw new ConfigException(source + ": " + path + " must be a JSON array or a comma-separated list");
        }
      }
      JsonArray items = new JsonArray();
      for (String item : text.split(",")) {
        if (!item.isBlank()) {
          items.add(item.trim());
        }
      }
      return items;
    }
    try {
      return new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw new ConfigException(source + ": " + path + " must be a JSON object");
    }
  }

  private static RelayConfig build(JsonObject c) {
    Reader r = new Reader(c);
    String mode = r.oneOf("upstream.mode", "poll", "push", "hybrid");
    String api = r.oneOf("upstream.api", "ajax-msg", "gethistory");
    String url = r.string("upstream.url");
    if (url.isBlank()) {
      url = api.equals("gethistory")
          ? "https://api.live.bilibili.com/xlive/web-room/v1/dM/gethistory"
          : "https://live.bilibili.com/ajax/msg";
    }
    requireHttpUrl("upstream.url", url);
    String roomInitUrl = r.string("upstream.roomInitUrl");
    requireHttpUrl("upstream.roomInitUrl", roomInitUrl);
    RelayConfig.Upstream upstream = new RelayConfig.Upstream(
        mode, api, url, roomInitUrl,
        r.positiveDouble("upstream.requestsPerSecond"),
        r.longIn("upstream.timeoutMs", 1, 600_000),
        r.longIn("upstream.maxBodyBytes", 1024, 64L * 1024 * 1024),
        r.stringMap("upstream.headers"),
        r.httpUrl("upstream.danmuInfoUrl"),
        r.httpUrl("upstream.navUrl"),
        r.httpUrl("upstream.buvidUrl"),
        r.string("upstream.cookie"),
        r.longIn("upstream.uid", 0, Long.MAX_VALUE));

    RelayConfig.Poll poll = new RelayConfig.Poll(
        r.oneOf("poll.strategy", "adaptive", "fixed"),
        r.longIn("poll.intervalMs", 1, 86_400_000),
        r.longIn("poll.minIntervalMs", 1, 86_400_000),
        r.longIn("poll.maxIntervalMs", 1, 86_400_000),
        r.longIn("poll.watchedMaxDelayMs", 1, 86_400_000));
    if (poll.minIntervalMs() > poll.maxIntervalMs()) {
      throw new ConfigException("poll.minIntervalMs: must not exceed poll.maxIntervalMs ("
          + poll.minIntervalMs() + " > " + poll.maxIntervalMs() + ")");
    }
    if (poll.intervalMs() < poll.minIntervalMs() || poll.intervalMs() > poll.maxIntervalMs()) {
      throw new ConfigException("poll.intervalMs: must lie between poll.minIntervalMs and poll.maxIntervalMs, got "
          + poll.intervalMs());
    }
    RelayConfig.Backoff backoff = new RelayConfig.Backoff(
        r.longIn("backoff.initialMs", 1, 86_400_000), r.longIn("backoff.maxMs", 1, 86_400_000));
    if (backoff.initialMs() > backoff.maxMs()) {
      throw new ConfigException("backoff.initialMs: must not exceed backoff.maxMs ("
          + backoff.initialMs() + " > " + backoff.maxMs() + ")");
    }
    RelayConfig.Push push = new RelayConfig.Push(
        r.longIn("push.heartbeatMs", 100, 600_000),
        r.longIn("push.reconnectInitialMs", 1, 86_400_000),
        r.longIn("push.reconnectMaxMs", 1, 86_400_000));
    if (push.reconnectInitialMs() > push.reconnectMaxMs()) {
      throw new ConfigException("push.reconnectInitialMs: must not exceed push.reconnectMaxMs ("
          + push.reconnectInitialMs() + " > " + push.reconnectMaxMs() + ")");
    }
    RelayConfig.Video video = new RelayConfig.Video(
        r.httpUrl("video.pagelistUrl"),
        r.httpUrl("video.archivesUrl"),
        r.httpUrl("video.viewUrl"),
        r.httpUrl("video.episodeUrl"),
        r.httpUrl("video.commentUrl"),
        r.httpUrl("video.rolldateUrl"),
        r.httpUrl("video.dmrollUrl"),
        r.httpUrl("video.recommendUrl"),
        r.longIn("video.minIntervalMs", 1, 86_400_000L * 30),
        r.longIn("video.maxIntervalMs", 1, 86_400_000L * 30),
        r.bool("video.history"));
    if (video.minIntervalMs() > video.maxIntervalMs()) {
      throw new ConfigException("video.minIntervalMs: must not exceed video.maxIntervalMs ("
          + video.minIntervalMs() + " > " + video.maxIntervalMs() + ")");
    }
    String topic = r.string("kafka.topic");
    if (!TOPIC.matcher(topic).matches() || topic.replace("{room}", "").matches(".*[{}].*")) {
      throw new ConfigException("kafka.topic: must be a Kafka topic name (letters, digits, . _ -) that may hold {room}, got \""
          + topic + "\"");
    }
    String stateTopic = r.topicName("kafka.stateTopic");
    RelayConfig.Kafka kafka = new RelayConfig.Kafka(
        r.string("kafka.bootstrapServers").trim(),
        (int) r.longIn("kafka.embeddedPort", 0, 65535),
        r.nonBlank("kafka.dataDir"),
        topic,
        stateTopic,
        r.topicName("kafka.eventsTopic"),
        r.topicName("kafka.videoTopic"),
        r.topicName("kafka.videoMetaTopic"),
        r.nonBlank("kafka.transactionalId"),
        (int) r.longIn("kafka.bufferSize", 100, 10_000_000),
        r.stringMap("kafka.producer"));
    RelayConfig.Http http = new RelayConfig.Http(
        r.nonBlank("http.host"), (int) r.longIn("http.port", 0, 65535), r.longIn("http.maxBodyBytes", 256, 16L * 1024 * 1024));
    RelayConfig.Ws ws = new RelayConfig.Ws(
        r.string("ws.token"), r.stringList("ws.allowedOrigins"), (int) r.longIn("ws.historySize", 0, 1_000_000));
    RelayConfig.Cluster cluster = new RelayConfig.Cluster(
        r.bool("cluster.enabled"),
        r.nonBlank("cluster.group"),
        r.string("cluster.instanceId").trim(),
        (int) r.longIn("cluster.partitions", 1, 10_000),
        (int) r.longIn("cluster.sessionTimeoutMs", 1_000, 3_600_000));
    if (cluster.enabled() && kafka.embedded()) {
      throw new ConfigException("cluster.enabled: needs kafka.bootstrapServers (relays of a cluster share one Kafka)");
    }
    List<String> videos = r.stringList("videos");
    if (cluster.enabled() && !videos.isEmpty()) {
      throw new ConfigException("videos: not supported with cluster.enabled yet (every relay would read every video);"
          + " run videos on a relay outside the cluster");
    }
    for (String id : videos) {
      try {
        io.danmakurelay.video.VideoId.parse(id);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("videos: " + e.getMessage());
      }
    }
    return new RelayConfig(
        r.roomIds("rooms"),
        videos,
        upstream,
        poll,
        backoff,
        push,
        video,
        kafka,
        http,
        new RelayConfig.Admin(r.string("admin.token")),
        ws,
        new RelayConfig.Metrics(r.bool("metrics.perRoom")),
        new RelayConfig.Log(r.oneOf("log.format", "text", "json")),
        cluster);
  }

  private static void requireHttpUrl(String key, String url) {
    try {
      URI uri = new URI(url);
      if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
        throw new ConfigException(key + ": must be an http(s) URL with a host, got \"" + url + "\"");
      }
    } catch (URISyntaxException e) {
      throw new ConfigException(key + ": not a valid URL: \"" + url + "\"");
    }
  }

  static String describe(Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof String s) {
      return "\"" + (s.length() > 60 ? s.substring(0, 60) + "…" : s) + "\"";
    }
    String text = String.valueOf(value);
    return text.length() > 60 ? text.substring(0, 60) + "…" : text;
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  /** Typed, validated access to the merged JSON; every failure names the key. */
  private record Reader(JsonObject root) {

    Object value(String path) {
      return lookup(root, path);
    }

    String string(String path) {
      Object v = value(path);
      if (v instanceof String s) {
        return s;
      }
      throw new ConfigException(path + ": must be a string, got " + describe(v));
    }

    /** An http(s) URL, which may hold placeholders such as {@code {cid}} (checked with them filled in). */
    String httpUrl(String path) {
      String s = string(path);
      requireHttpUrl(path, s.replaceAll("\\{[a-z]+}", "0"));
      return s;
    }

    String topicName(String path) {
      String s = string(path);
      if (!s.matches("[a-zA-Z0-9._\\-]{1,249}")) {
        throw new ConfigException(path + ": must be a Kafka topic name, got \"" + s + "\"");
      }
      return s;
    }

    String nonBlank(String path) {
      String s = string(path);
      if (s.isBlank()) {
        throw new ConfigException(path + ": must not be empty");
      }
      return s;
    }

    String oneOf(String path, String... allowed) {
      String s = string(path);
      for (String a : allowed) {
        if (a.equals(s)) {
          return s;
        }
      }
      throw new ConfigException(path + ": must be one of " + String.join(", ", allowed) + ", got \"" + s + "\"");
    }

    boolean bool(String path) {
      Object v = value(path);
      if (v instanceof Boolean b) {
        return b;
      }
      throw new ConfigException(path + ": must be true or false, got " + describe(v));
    }

    long longIn(String path, long min, long max) {
      Object v = value(path);
      if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
          && n.doubleValue() >= min && n.doubleValue() <= max) {
        return n.longValue();
      }
      throw new ConfigException(path + ": must be an integer from " + min + " to " + max + ", got " + describe(v));
    }

    double positiveDouble(String path) {
      Object v = value(path);
      if (v instanceof Number n && n.doubleValue() > 0 && Double.isFinite(n.doubleValue())) {
        return n.doubleValue();
      }
      throw new ConfigException(path + ": must be a number greater than 0, got " + describe(v));
    }

    List<String> stringList(String path) {
      Object v = value(path);
      if (!(v instanceof JsonArray array)) {
        throw new ConfigException(path + ": must be an array of strings, got " + describe(v));
      }
      List<String> out = new ArrayList<>();
      for (Object item : array) {
        if (!(item instanceof String s) || s.isBlank()) {
          throw new ConfigException(path + ": must be an array of non-empty strings, found " + describe(item));
        }
        out.add(s);
      }
      return out;
    }

    List<Long> roomIds(String path) {
      Object v = value(path);
      if (!(v instanceof JsonArray array)) {
        throw new ConfigException(path + ": must be an array of room ids, got " + describe(v));
      }
      List<Long> out = new ArrayList<>();
      for (Object item : array) {
        try {
          long id = RoomId.parse(item);
          if (!out.contains(id)) {
            out.add(id);
          }
        } catch (IllegalArgumentException e) {
          throw new ConfigException(path + ": " + e.getMessage());
        }
      }
      return out;
    }

    Map<String, String> stringMap(String path) {
      Object v = value(path);
      if (!(v instanceof JsonObject object)) {
        throw new ConfigException(path + ": must be an object, got " + describe(v));
      }
      Map<String, String> out = new LinkedHashMap<>();
      for (String key : object.fieldNames()) {
        Object item = object.getValue(key);
        if (item instanceof String || item instanceof Number || item instanceof Boolean) {
          out.put(key, String.valueOf(item));
        } else {
          throw new ConfigException(path + "." + key + ": must be a string, number or boolean, got " + describe(item));
        }
      }
      return out;
    }
  }
}
