package io.danmakurelay.sim;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

/**
 * Serves the three upstream endpoints and {@code /sim/*} from the shared {@link SimulatorCore}. Several
 * instances may listen on the same port (one per event loop); per-request work is a risk-control check
 * and a cached body, so it keeps up with thousands of polls per second.
 */
final class SimulatorHttpVerticle extends VerticleBase {

  static final String AJAX_MSG = "/ajax/msg";
  static final String GET_HISTORY = "/xlive/web-room/v1/dM/gethistory";
  static final String ROOM_INIT = "/room/v1/Room/room_init";

  static final String JSON = "application/json; charset=utf-8";
  static final String HTML = "text/html; charset=utf-8";

  static final String ROOMID_ERROR =
      "{\"code\":-400,\"message\":\"Key: 'HistoryReq.Roomid' Error:Field validation for 'Roomid' failed on the"
          + " 'required' tag\",\"ttl\":1}";
  static final String ROOM_NOT_FOUND =
      "{\"code\":60004,\"msg\":\"房间不存在\",\"message\":\"房间不存在\",\"data\":{}}";
  static final String BAD_ID = "{\"code\":1,\"msg\":\"参数错误\",\"message\":\"参数错误\",\"data\":{}}";
  static final String RISK_CONTROL_PAGE = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
      + "<title>412 Precondition Failed</title></head><body><div class=\"error\"><h1>412</h1>"
      + "<p>由于触发哔哩哔哩安全风控策略，该次访问请求被拒绝。</p>"
      + "<p>The request was rejected because of the bilibili security control policy.</p>"
      + "<p class=\"trace\">datetime: simulated</p></div></body></html>\n";
  static final String CODE_412 = "{\"code\":-412,\"message\":\"请求被拦截\",\"msg\":\"请求被拦截\"}";
  static final String CODE_352 = "{\"code\":-352,\"message\":\"风控校验失败\",\"msg\":\"风控校验失败\",\"ttl\":1,"
      + "\"data\":{\"v_voucher\":\"voucher_simulated\"}}";
  static final String CODE_400 = "{\"code\":-400,\"message\":\"请求错误\",\"msg\":\"请求错误\",\"ttl\":1}";
  static final String EMPTY_DATA = "{\"code\":0,\"data\":{}}";
  static final String WRONG_TYPES = "{\"code\":\"0\",\"message\":[],\"msg\":{},\"data\":{\"admin\":\"none\","
      + "\"room\":[{\"text\":12345,\"uid\":{\"id\":1},\"nickname\":null,\"timeline\":1764388800,"
      + "\"isadmin\":\"0\",\"rnd\":99,\"medal\":{},\"title\":\"\",\"user_level\":\"12\","
      + "\"check_info\":\"ts\",\"id_str\":7},42,\"plain string\",null]}}";
  static final String NON_JSON_PAGE = "<!DOCTYPE html>\n<html><head><title>哔哩哔哩直播</title></head>"
      + "<body><p>系统维护中，请稍后再试</p></body></html>\n";
  static final int HUGE_BYTES = 10 * 1024 * 1024;
  static final long SLOW_MS = 60_000;

  private static final byte[] HUGE_CHUNK = "x".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);

  private final SimulatorCore core;
  private final int requestedPort;
  /** Key and certificate to serve TLS with, or null for plain HTTP. */
  private final io.vertx.core.net.KeyCertOptions tls;
  private final Set<Long> slowTimers = new HashSet<>();
  private HttpServer server;
  private PushServer push;
  private final VideoRoutes videoRoutes;

  SimulatorHttpVerticle(SimulatorCore core, int port, io.vertx.core.net.KeyCertOptions tls) {
    this.core = core;
    this.requestedPort = port;
    this.tls = tls;
    this.videoRoutes = new VideoRoutes(core.videos, core::now);
  }

  int actualPort() {
    return server.actualPort();
  }

  @Override
  public Future<?> start() {
    server = vertx.createHttpServer(new HttpServerOptions()
        .setHost(core.settings.host())
        .setPort(requestedPort)
        .setCompressionSupported(false)
        .setSsl(tls != null)
        .setKeyCertOptions(tls));
    push = new PushServer(vertx, core, core.settings.seed() + System.identityHashCode(this));
    push.start();
    return server.requestHandler(this::handle).listen();
  }

  @Override
  public Future<?> stop() {
    slowTimers.forEach(vertx::cancelTimer);
    slowTimers.clear();
    push.stop();
    return server.close();
  }

  private void handle(HttpServerRequest req) {
    String path = req.path();
    if (path.startsWith("/sim/")) {
      handleSim(req, path);
      return;
    }
    if (path.equals(PushServer.SUB)) {
      push.handle(req, path);
      return;
    }
    long stalledFor = core.stallUntilMs - core.now();
    if (stalledFor > 0) {
      req.pause();
      vertx.setTimer(stalledFor, id -> {
        req.resume();
        handle(req);
      });
      return;
    }
    if (!core.risk.admit(core.now())) {
      send(req.response(), 412, HTML, RISK_CONTROL_PAGE);
      return;
    }
    switch (path) {
      case AJAX_MSG -> {
        core.pollRequests.incrementAndGet();
        if (req.method() == HttpMethod.POST) {
          req.setExpectMultipart(true);
          req.end().onComplete(done -> {
            String room = done.succeeded() ? req.formAttributes().get("roomid") : null;
            poll(req, room != null ? room : req.getParam("roomid"), false);
          });
        } else {
          poll(req, req.getParam("roomid"), false);
        }
      }
      case GET_HISTORY -> {
        core.pollRequests.incrementAndGet();
        poll(req, req.getParam("roomid"), true);
      }
      case ROOM_INIT -> {
        core.roomInitRequests.incrementAndGet();
        roomInit(req);
      }
      case PushServer.NAV, PushServer.DANMU_INFO, PushServer.SPI -> push.handle(req, path);
      default -> {
        if (VideoRoutes.handles(path)) {
          videoRoutes.handle(req);
          return;
        }
        core.otherRequests.incrementAndGet();
        send(req.response(), 404, JSON, "{\"code\":-404,\"message\":\"啥都木有\",\"ttl\":1}");
      }
    }
  }

  private void poll(HttpServerRequest req, String roomParam, boolean modern) {
    long room = parseId(roomParam);
    boolean known = core.model.isRealId(room);
    FaultMode fault = core.faults.take(room);
    if (fault != null) {
      if (known) {
        core.model.countFault(room);
      }
      fault(req, fault, known ? room : -1, modern);
      return;
    }
    if (!known) {
      send(req.response(), 200, JSON, ROOMID_ERROR);
      return;
    }
    send(req.response(), 200, JSON, core.model.servePoll(room, modern, core.now()));
  }

  private void fault(HttpServerRequest req, FaultMode mode, long room, boolean modern) {
    HttpServerResponse resp = req.response();
    switch (mode) {
      case HTTP412 -> send(resp, 412, HTML, RISK_CONTROL_PAGE);
      case CODE_412 -> send(resp, 200, JSON, CODE_412);
      case CODE_352 -> send(resp, 200, JSON, CODE_352);
      case CODE_400 -> send(resp, 200, JSON, CODE_400);
      case HTTP500 -> send(resp, 500, HTML, nginxPage(500, "Internal Server Error"));
      case HTTP502 -> send(resp, 502, HTML, nginxPage(502, "Bad Gateway"));
      case HTTP503 -> send(resp, 503, HTML, nginxPage(503, "Service Temporarily Unavailable"));
      case SLOW -> {
        long timer = vertx.setTimer(SLOW_MS, t -> {
          if (!resp.closed() && !resp.ended()) {
            String body = room >= 0 ? core.model.pollBody(room, modern, core.now()) : ROOMID_ERROR;
            send(resp, 200, JSON, body);
          }
        });
        slowTimers.add(timer);
        resp.closeHandler(v -> {
          vertx.cancelTimer(timer);
          slowTimers.remove(timer);
        });
      }
      case RESET -> resp.reset();
      case TRUNCATED -> {
        byte[] whole = (room >= 0 ? core.model.pollBody(room, modern, core.now())
            : PayloadWriter.POLL_PREFIX + "],\"room\":[]}}").getBytes(StandardCharsets.UTF_8);
        send(resp, 200, JSON, Buffer.buffer(whole).getBuffer(0, whole.length / 2));
      }
      case NONJSON -> send(resp, 200, HTML, NON_JSON_PAGE);
      case HUGE -> huge(resp);
      case WRONGTYPES -> send(resp, 200, JSON, WRONG_TYPES);
      case EMPTYDATA -> send(resp, 200, JSON, EMPTY_DATA);
      case ROOMID -> send(resp, 200, JSON, ROOMID_ERROR);
    }
  }

  /** A valid 10 MB JSON answer written chunk by chunk, respecting the connection's back-pressure. */
  private void huge(HttpServerResponse resp) {
    String head = PayloadWriter.POLL_PREFIX + "],\"room\":[]},\"padding\":\"";
    String tail = "\"}";
    resp.setStatusCode(200).setChunked(true).putHeader("Content-Type", JSON);
    resp.write(head);
    writeChunks(resp, HUGE_BYTES - head.length() - tail.length(), tail);
  }

  private void writeChunks(HttpServerResponse resp, int remaining, String tail) {
    if (resp.ended() || resp.closed()) {
      return;
    }
    int left = remaining;
    while (left > 0 && !resp.writeQueueFull()) {
      int n = Math.min(left, HUGE_CHUNK.length);
      resp.write(Buffer.buffer(HUGE_CHUNK).getBuffer(0, n));
      left -= n;
    }
    if (left > 0) {
      int rest = left;
      resp.drainHandler(v -> writeChunks(resp, rest, tail));
    } else {
      resp.drainHandler(null);
      resp.end(tail);
    }
  }

  private void roomInit(HttpServerRequest req) {
    String idParam = req.getParam("id");
    long id = parseId(idParam);
    if (id < 0) {
      send(req.response(), 200, JSON, BAD_ID);
      return;
    }
    long real = core.model.resolve(id);
    if (real < 0) {
      send(req.response(), 200, JSON, ROOM_NOT_FOUND);
      return;
    }
    String body = "{\"code\":0,\"msg\":\"ok\",\"message\":\"ok\",\"data\":{\"room_id\":" + real
        + ",\"short_id\":" + core.model.shortIdOf(real)
        + ",\"uid\":" + core.model.anchorUidOf(real)
        + ",\"need_p2p\":0,\"is_hidden\":false,\"is_locked\":false,\"is_portrait\":false,\"live_status\":"
        + core.push.liveStatus(real)
        + ",\"hidden_till\":0,\"lock_till\":0,\"encrypted\":false,\"pwd_verified\":false"
        + ",\"live_time\":" + core.model.startMs() / 1000
        + ",\"room_shield\":0,\"is_sp\":0,\"special_type\":0}}";
    send(req.response(), 200, JSON, body);
  }

  private void handleSim(HttpServerRequest req, String path) {
    switch (path) {
      case "/sim/stats" -> {
        String roomParam = req.getParam("room");
        Long onlyRoom = roomParam == null ? null : parseId(roomParam);
        boolean withMessages = "true".equals(req.getParam("messages"));
        boolean withPush = "true".equals(req.getParam("push"));
        send(req.response(), 200, JSON, core.statsJson(withMessages, onlyRoom, withPush));
      }
      case "/sim/control" -> {
        if (req.method() != HttpMethod.POST) {
          send(req.response(), 405, JSON, error("use POST with a JSON body"));
          return;
        }
        req.body().onComplete(body -> {
          if (body.failed()) {
            send(req.response(), 400, JSON, error("could not read the body"));
            return;
          }
          JsonObject op;
          try {
            op = body.result().toJsonObject();
          } catch (DecodeException | ClassCastException e) {
            send(req.response(), 400, JSON, error("body is not a JSON object"));
            return;
          }
          if (op == null) {
            send(req.response(), 400, JSON, error("body is not a JSON object"));
            return;
          }
          try {
            send(req.response(), 200, JSON, core.control(op).encode());
          } catch (IllegalArgumentException e) {
            send(req.response(), 400, JSON, error(e.getMessage()));
          }
        });
      }
      default -> send(req.response(), 404, JSON, error("unknown simulator path " + path));
    }
  }

  private static String error(String message) {
    return new JsonObject().put("error", message).encode();
  }

  private static String nginxPage(int status, String reason) {
    return "<html>\r\n<head><title>" + status + " " + reason + "</title></head>\r\n<body>\r\n<center><h1>"
        + status + " " + reason + "</h1></center>\r\n<hr><center>openresty</center>\r\n</body>\r\n</html>\r\n";
  }

  private static long parseId(String value) {
    if (value == null || value.isEmpty() || value.length() > 18) {
      return -1;
    }
    long id = 0;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      id = id * 10 + (c - '0');
    }
    return id;
  }

  private static void send(HttpServerResponse resp, int status, String contentType, String body) {
    send(resp, status, contentType, Buffer.buffer(body, "UTF-8"));
  }

  private static void send(HttpServerResponse resp, int status, String contentType, Buffer body) {
    resp.setStatusCode(status).putHeader("Content-Type", contentType).end(body);
  }
}
