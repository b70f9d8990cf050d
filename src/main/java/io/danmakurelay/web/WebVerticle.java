package io.danmakurelay.web;

import io.danmakurelay.Addresses;
import io.danmakurelay.config.RelayConfig;
import io.danmakurelay.fanout.Fanout;
import io.danmakurelay.fanout.FanoutLimits;
import io.danmakurelay.fanout.FanoutSettings;
import io.danmakurelay.kafka.KafkaSink;
import io.danmakurelay.poll.DanmakuEvent;
import io.danmakurelay.upstream.RoomId;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's HTTP face (SPEC §5): the dashboard, {@code /metrics}, {@code /health}, the room API and the
 * {@code /ws} fan-out. Room questions go to the poller over the event bus; Kafka facts come from the sink.
 */
public final class WebVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(WebVerticle.class);
  private static final String JSON = "application/json; charset=utf-8";
  private static final DeliveryOptions ASK = new DeliveryOptions().setSendTimeout(5_000).setLocalOnly(true);
  /** No inline script or style anywhere: danmaku text can never become code. */
  private static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

  private final RelayConfig config;
  private final KafkaSink sink;
  private final PrometheusMeterRegistry registry;
  private final String kafkaAddress;
  private Fanout fanout;
  private HttpServer server;

  public WebVerticle(RelayConfig config, KafkaSink sink, PrometheusMeterRegistry registry, String kafkaAddress) {
    this.config = config;
    this.sink = sink;
    this.registry = registry;
    this.kafkaAddress = kafkaAddress;
  }

  /** The port actually bound (after {@link #start()}). */
  public int port() {
    return server.actualPort();
  }

  @Override
  public Future<?> start() {
    fanout = new Fanout(vertx, new FanoutSettings(config.ws().historySize(), config.ws().token(),
        config.ws().allowedOrigins()), registry);
    Router router = Router.router(vertx);
    router.route().handler(WebVerticle::securityHeaders);
    router.get("/ws").handler(fanout.webSocketHandler());
    router.get("/metrics").handler(this::metrics);
    router.get("/health").handler(this::health);
    router.get("/api/rooms").handler(this::listRooms);
    router.route("/api/*").handler(BodyHandler.create(false).setBodyLimit(config.http().maxBodyBytes()));
    router.post("/api/rooms").handler(this::requireAdmin).handler(this::addRoom);
    router.delete("/api/rooms/:id").handler(this::requireAdmin).handler(this::removeRoom);
    router.route("/api/*").handler(ctx -> error(ctx, 404, "no such API endpoint"));
    router.route("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false));

    var consumer = vertx.eventBus().<DanmakuEvent>localConsumer(Addresses.DANMAKU,
        msg -> fanout.publish(msg.body().roomId(), msg.body().value()));
    // HTTP/1.1 and WebSocket only: no h2c upgrade. Scrapers, browsers and curl speak 1.1 to a plain-text
    // port, and an h2c upgrade offered by a client (Java's HttpClient does by default) once left a test's
    // request hanging.
    server = vertx.createHttpServer(Fanout.recommendedServerOptions(new HttpServerOptions()
        .setHost(config.http().host())
        .setPort(config.http().port())
        .setHttp2ClearTextEnabled(false), FanoutLimits.DEFAULTS));
    return consumer.completion()
        .compose(v -> server.requestHandler(router).listen())
        .onSuccess(s -> log.info("dashboard, API, /ws and /metrics on http://{}:{}", config.http().host(),
            s.actualPort()));
  }

  @Override
  public Future<?> stop() {
    fanout.close();
    return server == null ? Future.succeededFuture() : server.close();
  }

  private static void securityHeaders(RoutingContext ctx) {
    ctx.response()
        .putHeader("Content-Security-Policy", CSP)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("X-Frame-Options", "DENY")
        .putHeader("Referrer-Policy", "no-referrer");
    ctx.next();
  }

  private void metrics(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(registry.scrape());
  }

  private void health(RoutingContext ctx) {
    vertx.eventBus().<JsonObject>request(Addresses.POLLER_STATUS, new JsonObject(), ASK).onComplete(reply -> {
      JsonArray reasons = new JsonArray();
      String status = "UP";
      JsonObject poller = reply.succeeded() ? reply.result().body() : null;
      if (poller == null) {
        status = "DOWN";
        reasons.add("the poller does not answer");
      }
      if (sink.failed()) {
        status = "DOWN";
        reasons.add("Kafka producer stopped: " + sink.lastError());
      } else if (!sink.healthy()) {
        status = degrade(status);
        reasons.add("Kafka unreachable, buffering " + sink.bufferedMessages() + " messages"
            + (sink.lastError() == null ? "" : " (" + sink.lastError() + ")"));
      }
      if (poller != null) {
        if (poller.getValue("risk_control_until") != null) {
          status = degrade(status);
          reasons.add("upstream risk control: every room waits until " + poller.getLong("risk_control_until"));
        }
        int polling = poller.getInteger("polling");
        int backoff = poller.getInteger("backoff");
        if (backoff > 0 && polling == 0) {
          status = degrade(status);
          reasons.add("every room is backing off");
        }
        if (poller.getBoolean("buffer_full")) {
          status = degrade(status);
          reasons.add("Kafka buffer full: polling paused");
        }
      }
      JsonObject body = new JsonObject()
          .put("status", status)
          .put("reasons", reasons)
          .put("kafka", new JsonObject()
              .put("bootstrap_servers", kafkaAddress)
              .put("embedded", config.kafka().embedded())
              .put("up", sink.healthy())
              .put("buffered_messages", sink.bufferedMessages())
              .put("buffer_capacity", sink.capacity())
              .put("last_error", sink.lastError()))
          .put("poller", poller)
          .put("ws_connections", fanout.connections());
      ctx.response().setStatusCode("UP".equals(status) ? 200 : 503).putHeader("Content-Type", JSON)
          .end(body.encode());
    });
  }

  private static String degrade(String status) {
    return "DOWN".equals(status) ? status : "DEGRADED";
  }

  private void listRooms(RoutingContext ctx) {
    ask(ctx, Addresses.ROOMS_LIST, new JsonObject(), 200);
  }

  private void addRoom(RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      error(ctx, 400, "the body must be a JSON object like {\"room\": 21452505}");
      return;
    }
    if (body == null || !body.containsKey("room")) {
      error(ctx, 400, "the body must be a JSON object like {\"room\": 21452505}");
      return;
    }
    vertx.eventBus().<JsonObject>request(Addresses.ROOMS_ADD, new JsonObject().put("room", body.getValue("room")), ASK)
        .onSuccess(reply -> {
          JsonObject entry = reply.body();
          boolean created = Boolean.TRUE.equals(entry.remove("created"));
          ctx.response().setStatusCode(created ? 201 : 200).putHeader("Content-Type", JSON).end(entry.encode());
        })
        .onFailure(e -> replyFailure(ctx, e));
  }

  private void removeRoom(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    long room = RoomId.parseOrNegative(id);
    if (room < 0) {
      error(ctx, 400, "a room id must be a positive integer");
      return;
    }
    vertx.eventBus().<JsonObject>request(Addresses.ROOMS_REMOVE, new JsonObject().put("room", room), ASK)
        .onSuccess(reply -> {
          if (reply.body().getBoolean("removed")) {
            ctx.response().setStatusCode(200).putHeader("Content-Type", JSON).end(reply.body().encode());
          } else {
            error(ctx, 404, "room " + id + " is not followed");
          }
        })
        .onFailure(e -> replyFailure(ctx, e));
  }

  private void ask(RoutingContext ctx, String address, JsonObject question, int status) {
    vertx.eventBus().<JsonObject>request(address, question, ASK)
        .onSuccess(reply -> ctx.response().setStatusCode(status).putHeader("Content-Type", JSON)
            .end(reply.body().encode()))
        .onFailure(e -> replyFailure(ctx, e));
  }

  private static void replyFailure(RoutingContext ctx, Throwable e) {
    if (e instanceof ReplyException reply && reply.failureCode() == 400) {
      error(ctx, 400, reply.getMessage());
    } else {
      error(ctx, 503, "the poller did not answer");
    }
  }

  /** When {@code admin.token} is set, room changes need {@code Authorization: Bearer TOKEN}. */
  private void requireAdmin(RoutingContext ctx) {
    String token = config.admin().token();
    if (token.isEmpty()) {
      ctx.next();
      return;
    }
    String header = ctx.request().getHeader("Authorization");
    String given = header != null && header.startsWith("Bearer ") ? header.substring(7) : "";
    // Constant time: the comparison must not reveal how much of a guess was right.
    if (MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
      ctx.next();
    } else {
      ctx.response().putHeader("WWW-Authenticate", "Bearer");
      error(ctx, 401, "this needs Authorization: Bearer <admin.token>");
    }
  }

  static void error(RoutingContext ctx, int status, String message) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", JSON)
        .end(new JsonObject().put("error", message).encode());
  }
}
