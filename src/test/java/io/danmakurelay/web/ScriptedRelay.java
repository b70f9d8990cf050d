package io.danmakurelay.web;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * The relay's HTTP face as the pages see it, with scripted parts: the real security headers, the real
 * {@link DashboardRoutes} and webroot, a fixed {@code /api/rooms}, and a {@code /ws} that answers each
 * subscribe with the frames a script gives for (connection number, subscribe frame), then optionally closes.
 * Records every subscribe frame received.
 */
final class ScriptedRelay extends VerticleBase {

  /** What the fake /ws does on a subscribe: frames to send, and whether to close the connection after. */
  record Reply(List<JsonObject> frames, boolean thenClose) {
  }

  final List<JsonObject> subscribes = new CopyOnWriteArrayList<>();
  private final JsonObject rooms;
  private final StatsSampler stats;
  private final BiFunction<Integer, JsonObject, Reply> script;
  private int connections;
  private HttpServer server;

  private ScriptedRelay(JsonObject rooms, StatsSampler stats, BiFunction<Integer, JsonObject, Reply> script) {
    this.rooms = rooms;
    this.stats = stats;
    this.script = script;
  }

  static ScriptedRelay start(Vertx vertx, JsonObject rooms, StatsSampler stats,
                             BiFunction<Integer, JsonObject, Reply> script) throws Exception {
    ScriptedRelay relay = new ScriptedRelay(rooms, stats, script);
    vertx.deployVerticle(relay).toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    return relay;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    WebVerticle.securityHeaders(router.route());
    router.get(Endpoints.WS).handler(ctx -> ctx.request().toWebSocket().onSuccess(this::accept));
    router.get(Endpoints.ROOMS).handler(ctx -> ctx.json(rooms));
    DashboardRoutes.mount(router, stats);
    router.route("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false));
    server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0));
    return server.requestHandler(router).listen();
  }

  private void accept(ServerWebSocket ws) {
    int connection = ++connections;
    ws.textMessageHandler(text -> {
      JsonObject frame;
      try {
        frame = new JsonObject(text);
      } catch (RuntimeException e) {
        return;
      }
      if (!"subscribe".equals(frame.getString("op"))) {
        return;
      }
      subscribes.add(frame);
      Reply reply = script.apply(connection, frame);
      ws.writeTextMessage(new JsonObject().put("op", "subscribed").put("rooms", frame.getJsonArray("rooms")).encode());
      for (JsonObject out : reply.frames()) {
        ws.writeTextMessage(out.encode());
      }
      if (reply.thenClose()) {
        ws.close((short) 1001, "scripted restart");
      }
    });
  }

  int port() {
    return server.actualPort();
  }

  String url(String path) {
    return "http://127.0.0.1:" + port() + path;
  }

  static JsonObject danmaku(long room, long seq, String nickname, String text, long at) {
    return new JsonObject().put("op", "danmaku").put("room_id", room).put("seq", seq).put("msg", new JsonObject()
        .put("room_id", room).put("id", "id" + seq).put("list", "room").put("uid", 1000 + seq)
        .put("nickname", nickname).put("text", text).put("timeline", "2026-12-01 12:00:00")
        .put("ts", at - 900).put("fetched_at", at).put("seq", seq).put("raw", new JsonObject()));
  }

  static JsonObject event(long room, String cmd, JsonObject data, long at) {
    return new JsonObject().put("op", "event").put("room_id", room).put("msg", new JsonObject()
        .put("room_id", room).put("cmd", cmd).put("ts", at - 500).put("fetched_at", at)
        .put("raw", new JsonObject().put("cmd", cmd).put("data", data)));
  }

  static JsonObject room(long id, String state, double rate, long published) {
    return new JsonObject().put("room_id", id).put("short_id", 0).put("state", state).put("interval_ms", 1000)
        .put("last_poll_at", System.currentTimeMillis() - 1000).put("messages_published", published)
        .put("gaps", 0).put("rate_per_second", rate);
  }

  static JsonObject rooms(JsonObject... entries) {
    return new JsonObject().put("rooms", new JsonArray(List.of((Object[]) entries)));
  }
}
