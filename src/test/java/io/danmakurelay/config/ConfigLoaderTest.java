package io.danmakurelay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  @TempDir
  Path dir;

  private Path file(String json) throws IOException {
    Path f = dir.resolve("config.json");
    Files.writeString(f, json);
    return f;
  }

  @Test
  @DisplayName("with nothing given, every key has the default of SPEC §3")
  void defaults() {
    RelayConfig c = ConfigLoader.load(null, Map.of(), List.of());
    assertThat(c.rooms()).isEmpty();
    assertThat(c.upstream().api()).isEqualTo("ajax-msg");
    assertThat(c.upstream().url()).isEqualTo("https://live.bilibili.com/ajax/msg");
    assertThat(c.upstream().roomInitUrl()).isEqualTo("https://api.live.bilibili.com/room/v1/Room/room_init");
    assertThat(c.upstream().requestsPerSecond()).isEqualTo(5.0);
    assertThat(c.upstream().timeoutMs()).isEqualTo(5000);
    assertThat(c.upstream().headers()).containsEntry("Referer", "https://live.bilibili.com/").containsKey("User-Agent");
    assertThat(c.poll()).isEqualTo(new RelayConfig.Poll("adaptive", 3000, 100, 60000, 3000));
    assertThat(c.backoff()).isEqualTo(new RelayConfig.Backoff(2000, 300000));
    assertThat(c.kafka().bootstrapServers()).isEmpty();
    assertThat(c.kafka().embedded()).isTrue();
    assertThat(c.kafka().embeddedPort()).isEqualTo(9092);
    assertThat(c.kafka().topic()).isEqualTo("danmaku");
    assertThat(c.kafka().producer()).isEmpty();
    assertThat(c.http().host()).isEqualTo("127.0.0.1");
    assertThat(c.http().port()).isEqualTo(8080);
    assertThat(c.admin().token()).isEmpty();
    assertThat(c.ws().token()).isEmpty();
    assertThat(c.ws().allowedOrigins()).isEmpty();
    assertThat(c.ws().historySize()).isEqualTo(1000);
    assertThat(c.metrics().perRoom()).isFalse();
    assertThat(c.log().format()).isEqualTo("text");
  }

  @Test
  @DisplayName("the gethistory API gets the gethistory URL by default")
  void modernDefaultUrl() {
    RelayConfig c = ConfigLoader.load(null, Map.of("DANMAKU_UPSTREAM_API", "gethistory"), List.of());
    assertThat(c.upstream().url()).isEqualTo("https://api.live.bilibili.com/xlive/web-room/v1/dM/gethistory");
  }

  @Test
  @DisplayName("file overrides defaults, environment overrides the file, flags override the environment")
  void precedence() throws IOException {
    Path f = file("{\"kafka\":{\"topic\":\"from-file\",\"bootstrapServers\":\"file:9092\"},\"http\":{\"port\":9000},"
        + "\"rooms\":[1,2]}");
    RelayConfig c = ConfigLoader.load(f,
        Map.of("DANMAKU_KAFKA_BOOTSTRAP_SERVERS", "env:9092", "DANMAKU_HTTP_PORT", "9100", "PATH", "/bin"),
        List.of("http.port=9200"));
    assertThat(c.kafka().topic()).isEqualTo("from-file");
    assertThat(c.kafka().bootstrapServers()).isEqualTo("env:9092");
    assertThat(c.http().port()).isEqualTo(9200);
    assertThat(c.rooms()).containsExactly(1L, 2L);
    assertThat(c.poll().intervalMs()).isEqualTo(3000);
  }

  @Test
  @DisplayName("environment values are read as the key's type: lists, numbers, booleans and JSON objects")
  void environmentTypes() {
    RelayConfig c = ConfigLoader.load(null, Map.of(
        "DANMAKU_ROOMS", "21452505, 6",
        "DANMAKU_UPSTREAM_REQUESTS_PER_SECOND", "2.5",
        "DANMAKU_METRICS_PER_ROOM", "true",
        "DANMAKU_KAFKA_PRODUCER", "{\"linger.ms\":\"20\"}",
        "DANMAKU_WS_ALLOWED_ORIGINS", "[\"https://a.example\"]"), List.of());
    assertThat(c.rooms()).containsExactly(21452505L, 6L);
    assertThat(c.upstream().requestsPerSecond()).isEqualTo(2.5);
    assertThat(c.metrics().perRoom()).isTrue();
    assertThat(c.kafka().producer()).containsEntry("linger.ms", "20");
    assertThat(c.ws().allowedOrigins()).containsExactly("https://a.example");
  }

  @Test
  @DisplayName("a flag may set one entry of a free-form map such as kafka.producer")
  void freeFormFlag() {
    RelayConfig c = ConfigLoader.load(null, Map.of(), List.of("kafka.producer.compression.type=lz4"));
    assertThat(c.kafka().producer()).containsEntry("compression.type", "lz4");
  }

  @Test
  @DisplayName("an unknown key in the file is reported with its path")
  void unknownFileKey() throws IOException {
    Path f = file("{\"kafka\":{\"topik\":\"x\"}}");
    assertThatThrownBy(() -> ConfigLoader.load(f, Map.of(), List.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("unknown key kafka.topik");
  }

  @Test
  @DisplayName("an unknown DANMAKU_ variable and an unknown --set key are reported")
  void unknownEnvAndFlag() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("DANMAKU_KAFKA_TOPICC", "x"), List.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("DANMAKU_KAFKA_TOPICC");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("nope.key=1")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("nope.key");
  }

  @Test
  @DisplayName("a wrong type names the key and the value")
  void wrongType() throws IOException {
    Path f = file("{\"http\":{\"port\":\"eighty\"}}");
    assertThatThrownBy(() -> ConfigLoader.load(f, Map.of(), List.of()))
        .isInstanceOf(ConfigException.class).hasMessage("http.port: must be an integer from 0 to 65535, got \"eighty\"");
  }

  @Test
  @DisplayName("out-of-range and inconsistent values are refused with the key named")
  void badValues() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("http.port=70000")))
        .hasMessageStartingWith("http.port:");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("upstream.requestsPerSecond=0")))
        .hasMessageStartingWith("upstream.requestsPerSecond:");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("upstream.api=websocket")))
        .hasMessageStartingWith("upstream.api:");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("poll.minIntervalMs=90000")))
        .hasMessageStartingWith("poll.minIntervalMs:");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("kafka.topic=bad topic")))
        .hasMessageStartingWith("kafka.topic:");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("rooms=12,abc")))
        .hasMessageStartingWith("rooms:");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("upstream.url=ftp://x")))
        .hasMessageStartingWith("upstream.url:");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("log.format=xml")))
        .hasMessageStartingWith("log.format:");
  }

  @Test
  @DisplayName("a topic template with {room} is accepted and expands to the real room id")
  void topicTemplate() {
    RelayConfig c = ConfigLoader.load(null, Map.of(), List.of("kafka.topic=danmaku-{room}"));
    assertThat(c.kafka().topicFor(21452505)).isEqualTo("danmaku-21452505");
  }

  @Test
  @DisplayName("a missing file and a file that is not JSON are one clear line each")
  void badFiles() throws IOException {
    assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("nope.json"), Map.of(), List.of()))
        .hasMessageContaining("nope.json: not found");
    Path f = file("{\"rooms\": [1,");
    assertThatThrownBy(() -> ConfigLoader.load(f, Map.of(), List.of()))
        .hasMessageContaining("not a JSON object").satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  @DisplayName("conf/config.json in the repository holds every key the loader knows")
  void shippedFileIsComplete() throws IOException {
    Path shipped = Path.of("conf", "config.json");
    assertThat(new io.vertx.core.json.JsonObject(Files.readString(shipped))).isEqualTo(ConfigLoader.defaults());
  }

  @Test
  @DisplayName("cluster: the session timeout is read and checked; videos are refused in a cluster")
  void clusterKeys() {
    RelayConfig config = ConfigLoader.load(null, Map.of(), List.of("kafka.bootstrapServers=k:9092", "cluster.enabled=true",
        "cluster.sessionTimeoutMs=8000"));
    assertThat(config.cluster().sessionTimeoutMs()).isEqualTo(8000);
    assertThat(ConfigLoader.load(null, Map.of(), List.of()).cluster().sessionTimeoutMs()).isEqualTo(45000);
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("cluster.sessionTimeoutMs=10")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("cluster.sessionTimeoutMs");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("kafka.bootstrapServers=k:9092",
        "cluster.enabled=true", "videos=BV17x411w7KC")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("videos").hasMessageContaining("cluster");
  }
}
