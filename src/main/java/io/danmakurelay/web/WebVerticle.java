package io.danmakurelay.web;

import io.danmakurelay.Addresses;
import io.danmakurelay.cluster.ClusterMetrics;
import io.danmakurelay.cluster.ClusterView;
import io.danmakurelay.config.RelayConfig;
import io.danmakurelay.fanout.Fanout;
import io.danmakurelay.fanout.FanoutLimits;
import io.danmakurelay.fanout.FanoutSettings;
import io.danmakurelay.kafka.CommittedFeed;
import io.danmakurelay.kafka.KafkaSink;
import io.danmakurelay.kafka.RelayState;
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
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CSPHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.handler.XFrameHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's HTTP face (SPEC §5): the dashboard, {@code /metrics}, {@code /health}, the room API and the
 * {@code /ws} fan-out, fed with what Kafka committed by a {@link CommittedFeed}. Room questions go to the poller
 * over the event bus; Kafka facts come from the sink.
 */
public final class WebVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(WebVerticle.class);
  private static final String JSON = "application/json; charset=utf-8";
  private static final DeliveryOptions ASK = new DeliveryOptions().setSendTimeout(5_000).setLocalOnly(true);

  /** The dashboard's figures: a reading every 5 s, 10 minutes of them. */
  private static final long STATS_INTERVAL_MS = 5_000;
  private static final int STATS_KEPT = 120;

  private final RelayConfig config;
  private final KafkaSink sink;
  private final PrometheusMeterRegistry registry;
  private final String kafkaAddress;
  private final RelayState state;
  private final ClusterView cluster;
  private Fanout fanout;
  private CommittedFeed feed;
  private StatsSampler stats;
  private RelayHealth health;
  private HttpServer server;

  /**
   * {@code state}: as restored at start-up, it names the rooms whose history the fan-out refills;
   * {@code cluster}: who owns which room, for the room list and {@code /api/cluster}.
   */
  public WebVerticle(RelayConfig config, KafkaSink sink, PrometheusMeterRegistry registry, String kafkaAddress,
      RelayState state, ClusterView cluster) {
    this.config = config;
    this.cluster = cluster;
    this.state = state;
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
    // The poller polls a room someone watches within poll.watchedMaxDelayMs.
    fanout.onWatchChange((room, watched) -> vertx.eventBus().publish(Addresses.ROOM_WATCHED,
        new JsonObject().put("room", room).put("watched", watched)));
    Router router = Router.router(vertx);
    health = new RelayHealth(vertx, sink, kafkaAddress, config.kafka().embedded());
    securityHeaders(router.route());
    router.get(Endpoints.WS).handler(fanout.webSocketHandler());
    router.get(Endpoints.METRICS).handler(PrometheusScrapingHandler.create(registry));
    router.get(Endpoints.HEALTH).handler(this::health);
    ClusterMetrics clusterMetrics = new ClusterMetrics(registry, cluster);
    ClusterRoutes clusterRoutes = new ClusterRoutes(vertx, cluster, clusterMetrics::setRoomsOwned);
    clusterRoutes.mount(router);
    // danmaku_rooms_owned follows the room list between API calls (rooms come and go, partitions move).
    vertx.setPeriodic(1, STATS_INTERVAL_MS, id -> clusterRoutes.refresh());
    stats = new StatsSampler(registry, config.upstream().requestsPerSecond(), STATS_INTERVAL_MS, STATS_KEPT,
        System::currentTimeMillis);
    stats.start(vertx);
    DashboardRoutes.mount(router, stats);
    router.route(Endpoints.API_ALL).handler(BodyHandler.create(false).setBodyLimit(config.http().maxBodyBytes()));
    router.post(Endpoints.ROOMS).handler(this::requireAdmin).handler(this::addRoom);
    router.delete(Endpoints.ROOM).handler(this::requireAdmin).handler(this::removeRoom);
    router.get(Endpoints.VIDEOS).handler(ctx -> ask(ctx, Addresses.VIDEOS_LIST, new JsonObject(), 200));
    router.post(Endpoints.VIDEOS).handler(this::requireAdmin).handler(this::addVideo);
    router.delete(Endpoints.VIDEO).handler(this::requireAdmin).handler(this::removeVideo);
    router.route(Endpoints.API_ALL).handler(ctx -> error(ctx, 404, "no such API endpoint"));
    router.route("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false));

    feed = new CommittedFeed(kafkaAddress, config.kafka(), config.ws().historySize(), CommittedFeed.lastSeqs(state),
        registry, batch -> fanout.deliver(batch).toCompletionStage());
    // HTTP/1.1 and WebSocket only: no h2c upgrade. Scrapers, browsers and curl speak 1.1 to a plain-text
    // port, and an h2c upgrade offered by a client (Java's HttpClient does by default) once left a test's
    // request hanging.
    HttpServerOptions options = Fanout.recommendedServerOptions(new HttpServerOptions()
        .setHost(config.http().host())
        .setPort(config.http().port())
        .setHttp2ClearTextEnabled(false), FanoutLimits.DEFAULTS);
    // Listen only once the history is refilled: a client resuming with since must find what it missed.
    // One server per fan-out shard, on one port: connections (and requests) are spread over the shards'
    // event loops.
    return Future.fromCompletionStage(feed.start(), context)
        .compose(v -> fanout.listen(options, router))
        .onSuccess(s -> {
          server = s;
          log.info("dashboard, API, /ws and /metrics on http://{}:{} ({} event loops)", config.http().host(),
              s.actualPort(), fanout.shards());
        });
  }

  @Override
  public Future<?> stop() {
    stats.stop();
    Future<Void> closed = fanout.close().eventually(() -> server == null ? Future.succeededFuture() : server.close());
    return closed.eventually(() -> vertx.executeBlocking(() -> {
      feed.close();
      return null;
    }));
  }

  /** The headers every response carries (README): CSP, X-Frame-Options, nosniff, no referrer. */
  static void securityHeaders(Route route) {
    route.handler(contentSecurityPolicy()).handler(XFrameHandler.create(XFrameHandler.DENY))
        .handler(WebVerticle::noSniffNoReferrer);
  }

  /** No inline script or style anywhere: danmaku text can never become code. */
  private static CSPHandler contentSecurityPolicy() {
    return CSPHandler.create()
        .addDirective("script-src", "self")
        .addDirective("style-src", "self")
        .addDirective("img-src", "self").addDirective("img-src", "data:")
        .addDirective("connect-src", "self")
        .addDirective("frame-ancestors", "none")
        .addDirective("base-uri", "none")
        .addDirective("form-action", "none");
  }

  /** The two headers vertx-web has no handler for. */
  private static void noSniffNoReferrer(RoutingContext ctx) {
    ctx.response()
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer");
    ctx.next();
  }

  private void health(RoutingContext ctx) {
    health.check(fanout::connections).onComplete(report -> {
      if (report.succeeded()) {
        ctx.response().setStatusCode(report.result().httpStatus()).putHeader("Content-Type", JSON)
            .end(report.result().body().encode());
      } else {
        ctx.response().setStatusCode(503).putHeader("Content-Type", JSON).end(new JsonObject().put("status", "DOWN")
            .put("reasons", new JsonArray().add("the health check failed: " + report.cause().getMessage())).encode());
      }
    });
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

  private void addVideo(RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      body = null;
    }
    if (body == null || !body.containsKey("video")) {
      error(ctx, 400, "the body must be a JSON object like {\"video\": \"BV1xx411c7mD\"}");
      return;
    }
    vertx.eventBus().<JsonObject>request(Addresses.VIDEOS_ADD, new JsonObject().put("video", body.getValue("video")), ASK)
        .onSuccess(reply -> {
          JsonObject entry = reply.body();
          boolean created = Boolean.TRUE.equals(entry.remove("created"));
          ctx.response().setStatusCode(created ? 201 : 200).putHeader("Content-Type", JSON).end(entry.encode());
        })
        .onFailure(e -> replyFailure(ctx, e));
  }

  private void removeVideo(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    vertx.eventBus().<JsonObject>request(Addresses.VIDEOS_REMOVE, new JsonObject().put("video", id), ASK)
        .onSuccess(reply -> {
          if (reply.body().getBoolean("removed")) {
            ctx.response().setStatusCode(200).putHeader("Content-Type", JSON).end(reply.body().encode());
          } else {
            error(ctx, 404, "video " + reply.body().getString("video", "") + " is not followed");
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
