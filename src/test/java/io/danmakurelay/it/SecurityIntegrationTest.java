package io.danmakurelay.it;

import io.danmakurelay.testsupport.WsProbe;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.danmakurelay.sim.SimulatorSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The relay's security promises against one real relay with every protection on: room ids validated at the
 * API and /ws, tokens checked and never logged, Origin enforced, security headers, and the body limit.
 */
class SecurityIntegrationTest {

  private static final String ADMIN_TOKEN = "adm1n-T0KEN-4f9c2e";
  private static final String WS_TOKEN = "ws-T0KEN-8b1d7a";
  private static final String ORIGIN = "https://dash.example.org";
  private static final long ROOM = 1000001;

  @TempDir
  static Path dir;
  static RelayHarness h;
  static Vertx clientVertx;
  static WebSocketClient client;
  static final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  static Level relayLevel;

  @BeforeAll
  static void start() throws Exception {
    // Captured from before start-up (the config is logged then), with the relay's own debug lines.
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    logs.setContext(context);
    logs.start();
    context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(logs);
    relayLevel = context.getLogger("io.danmakurelay").getLevel();
    context.getLogger("io.danmakurelay").setLevel(Level.DEBUG);

    h = new RelayHarness(SimulatorSettings.defaults(0, 2, 2.0, 5));
    h.startRelay(h.flags(dir.resolve("kafka"), "ajax-msg", "rooms=" + ROOM, "poll.strategy=fixed",
        "admin.token=" + ADMIN_TOKEN, "ws.token=" + WS_TOKEN, "ws.allowedOrigins=" + ORIGIN));
    clientVertx = Vertx.vertx();
    client = clientVertx.createWebSocketClient();
    RelayHarness.await("relay healthy", Duration.ofSeconds(30), () -> h.get("/health").statusCode() == 200);
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (clientVertx != null) {
        clientVertx.close().await(10, TimeUnit.SECONDS);
      }
      if (h != null) {
        h.close();
      }
    } finally {
      LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
      context.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(logs);
      context.getLogger("io.danmakurelay").setLevel(relayLevel);
    }
  }

  @Test
  @DisplayName("room ids are validated at every entry: path tricks, shell text, huge and fractional numbers get "
      + "4xx JSON errors and change nothing")
  void roomIdsValidated() throws Exception {
    for (String path : List.of("/api/rooms/..%2F..%2Fetc%2Fpasswd", "/api/rooms/1%3B%20rm%20-rf%20%2F",
        "/api/rooms/99999999999999999999", "/api/rooms/0", "/api/rooms/-1", "/api/rooms/1e9", "/api/rooms/%00")) {
      HttpResponse<String> r = h.send("DELETE", path, null, ADMIN_TOKEN);
      assertThat(r.statusCode()).as("DELETE %s", path).isEqualTo(400);
      assertThat(new JsonObject(r.body()).getString("error")).isNotBlank();
    }
    // A dot-segment path never reaches a room: it is normalised away from /api/rooms/:id.
    HttpResponse<String> dots = h.send("DELETE", "/api/rooms/../etc", null, ADMIN_TOKEN);
    assertThat(dots.statusCode()).isBetween(400, 404);

    for (String body : List.of("{\"room\":\"1; rm -rf /\"}", "{\"room\":\"$(reboot)\"}",
        "{\"room\":99999999999999999999999}", "{\"room\":1e30}", "{\"room\":1.5}", "{\"room\":0}",
        "{\"room\":-3}", "{\"room\":null}", "{\"room\":[1]}", "{\"room\":{\"id\":1}}", "{\"room\":true}",
        "{\"room\":\"<script>alert(1)</script>\"}")) {
      HttpResponse<String> r = h.send("POST", "/api/rooms", body, ADMIN_TOKEN);
      assertThat(r.statusCode()).as("POST %s", body).isEqualTo(400);
      assertThat(new JsonObject(r.body()).getString("error")).isNotBlank();
    }
    assertThat(new JsonObject(h.get("/api/rooms").body()).getJsonArray("rooms")).hasSize(1);

    WsProbe ws = WsProbe.await(dashboard());
    for (String rooms : List.of("[\"1; rm -rf /\"]", "[99999999999999999999999]", "[1e30]", "[0]")) {
      ws.sendText("{\"op\":\"subscribe\",\"rooms\":" + rooms + "}");
      assertThat(ws.next().getString("op")).as("subscribe %s", rooms).isEqualTo("error");
    }
    ws.close();
  }

  @Test
  @DisplayName("the admin token and the ws token never appear in the logs, whatever calls are made")
  void tokensNeverLogged() throws Exception {
    assertThat(h.send("POST", "/api/rooms", "{\"room\":1000002}", ADMIN_TOKEN).statusCode()).isEqualTo(201);
    assertThat(h.send("DELETE", "/api/rooms/1000002", null, ADMIN_TOKEN).statusCode()).isEqualTo(200);
    assertThat(h.send("POST", "/api/rooms", "{\"room\":1000002}", ADMIN_TOKEN + "x").statusCode()).isEqualTo(401);
    assertThat(h.send("POST", "/api/rooms", "{\"room\":1000002}", "Bearer " + ADMIN_TOKEN).statusCode())
        .isEqualTo(401);
    assertThat(h.send("POST", "/api/rooms", "{room:" + ADMIN_TOKEN, ADMIN_TOKEN).statusCode()).isEqualTo(400);
    WsProbe.await(dashboard()).close();
    assertThat(upgradeStatus("/ws?token=" + WS_TOKEN + "x", null)).isEqualTo(401);

    List<ILoggingEvent> events;
    // The relay logs from its own threads meanwhile; the appender adds under its own lock.
    synchronized (logs) {
      events = new java.util.ArrayList<>(logs.list);
    }
    List<String> lines = events.stream()
        .map(e -> e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getMessage()))
        .toList();
    assertThat(lines).as("captured log lines").isNotEmpty();
    assertThat(lines).noneMatch(l -> l.contains(ADMIN_TOKEN)).noneMatch(l -> l.contains(WS_TOKEN));
  }

  @Test
  @DisplayName("/ws needs ws.token (401 without or with a wrong one) and refuses a foreign Origin (403)")
  void wsTokenAndOrigin() {
    assertThat(upgradeStatus("/ws", null)).isEqualTo(401);
    assertThat(upgradeStatus("/ws?token=", null)).isEqualTo(401);
    assertThat(upgradeStatus("/ws?token=guess", null)).isEqualTo(401);
    assertThat(upgradeStatus("/ws?token=" + WS_TOKEN, "https://evil.example.com")).isEqualTo(403);
    assertThat(upgradeStatus("/ws?token=" + WS_TOKEN, "https://dash.example.org.evil.com")).isEqualTo(403);
    assertThat(upgradeStatus("/ws?token=" + WS_TOKEN, ORIGIN)).isEqualTo(101);
    assertThat(upgradeStatus("/ws?token=" + WS_TOKEN, null)).isEqualTo(101);
  }

  @Test
  @DisplayName("/, /api/rooms, /health and /metrics carry a CSP without unsafe-inline scripts, nosniff, "
      + "X-Frame-Options DENY and no referrer")
  void securityHeaders() throws Exception {
    for (String path : List.of("/", "/api/rooms", "/health", "/metrics")) {
      HttpResponse<String> r = h.get(path);
      String csp = r.headers().firstValue("Content-Security-Policy").orElse("");
      assertThat(csp).as("CSP of %s", path).isNotEmpty();
      String scriptSrc = directive(csp, "script-src");
      if (scriptSrc == null) {
        scriptSrc = directive(csp, "default-src");
      }
      assertThat(scriptSrc).as("script-src of %s", path).isNotNull().doesNotContain("'unsafe-inline'")
          .doesNotContain("'unsafe-eval'").doesNotContain("*");
      assertThat(r.headers().firstValue("X-Content-Type-Options")).as(path).hasValue("nosniff");
      assertThat(r.headers().firstValue("X-Frame-Options")).as(path).hasValue("DENY");
      assertThat(r.headers().firstValue("Referrer-Policy")).as(path).hasValue("no-referrer");
      assertThat(directive(csp, "frame-ancestors")).as("frame-ancestors of %s", path).isEqualTo("'none'");
    }
  }

  @Test
  @DisplayName("an API body over http.maxBodyBytes is refused with 413, with or without the token, and the "
      + "relay stays up")
  void bodyLimit() throws Exception {
    String huge = "{\"room\":1000002,\"pad\":\"" + "p".repeat(200_000) + "\"}";
    assertThat(h.send("POST", "/api/rooms", huge, ADMIN_TOKEN).statusCode()).isEqualTo(413);
    assertThat(h.send("POST", "/api/rooms", huge, null).statusCode()).isIn(401, 413);
    HttpResponse<String> chunked = h.http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + h.relay.httpPort() + "/api/rooms"))
        .header("Authorization", "Bearer " + ADMIN_TOKEN)
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(huge.getBytes())))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(chunked.statusCode()).as("chunked upload").isEqualTo(413);
    assertThat(h.get("/health").statusCode()).isEqualTo(200);
    assertThat(new JsonObject(h.get("/api/rooms").body()).getJsonArray("rooms")).hasSize(1);
  }

  /** A /ws client as the allowed dashboard page opens it. */
  private static Future<WsProbe> dashboard() {
    return WsProbe.connect(client, new WebSocketConnectOptions().setHost("127.0.0.1").setPort(h.relay.httpPort())
        .setURI("/ws?token=" + WS_TOKEN).addHeader("Origin", ORIGIN));
  }

  private static String directive(String csp, String name) {
    for (String part : csp.split(";")) {
      String p = part.trim();
      if (p.startsWith(name + " ")) {
        return p.substring(name.length()).trim();
      }
    }
    return null;
  }

  /** The HTTP status of a WebSocket upgrade: 101 when accepted, else the refusal's status. */
  private static int upgradeStatus(String uri, String origin) {
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1")
        .setPort(h.relay.httpPort()).setURI(uri);
    if (origin != null) {
      options.addHeader("Origin", origin);
    } else {
      // The Vert.x client sends an Origin of its own unless told not to.
      options.setAllowOriginHeader(false);
    }
    Future<Integer> status = client.connect(options)
        .compose(ws -> ws.close().map(101))
        .recover(e -> e instanceof UpgradeRejectedException rejected
            ? Future.succeededFuture(rejected.getStatus()) : Future.failedFuture(e));
    return WsProbe.await(status);
  }
}
