package io.danmakurelay.push;

import io.danmakurelay.config.RelayConfig;
import io.danmakurelay.poll.UpstreamGate;
import io.danmakurelay.upstream.WbiSigner;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The push stream's HTTP requests (SPEC §1b): wbi keys from {@code nav} (cached until a -352), an
 * anonymous {@code buvid3} from {@code finger/spi} unless the cookie has one, and the signed
 * {@code getDanmuInfo}. Each request first takes a token from the relay's one {@link UpstreamGate}, and
 * risk control met by any of them pauses the gate. Runs on the push client's context.
 */
final class PushUpstream {

  /** How a {@code getDanmuInfo} went. */
  sealed interface InfoResult {}

  record Info(String token, List<Host> hosts) implements InfoResult {}

  /** -352: the wbi keys are stale (or the signature wrong). */
  record StaleKeys() implements InfoResult {}

  /** HTTP 412 / -412: the relay's IP met risk control. */
  record RiskControl(long sentAt) implements InfoResult {}

  record Failed(String reason) implements InfoResult {}

  record Host(String host, int port, int wsPort, int wssPort) {}

  private final Vertx vertx;
  private final RelayConfig.Upstream config;
  private final UpstreamGate gate;
  private final LongSupplier clock;
  private final HttpClientAgent http;
  private Future<WbiSigner> keys;
  private Future<String> buvid;
  /** Requests waiting for a token, oldest first, and the one timer that wakes them ({@link #acquire}). */
  private final ArrayDeque<Promise<Long>> waiting = new ArrayDeque<>();
  private long waitTimer = -1;

  PushUpstream(Vertx vertx, RelayConfig.Upstream config, UpstreamGate gate, LongSupplier clock) {
    this.vertx = vertx;
    this.config = config;
    this.gate = gate;
    this.clock = clock;
    this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.timeoutMs())), new PoolOptions().setHttp1MaxSize(4));
  }

  /** The cookie's {@code buvid3}, if it has one. */
  static Optional<String> cookieBuvid(String cookie) {
    for (String part : cookie.split(";")) {
      String p = part.trim();
      if (p.startsWith("buvid3=") && p.length() > 7) {
        return Optional.of(p.substring(7));
      }
    }
    return Optional.empty();
  }

  Future<String> buvid() {
    Optional<String> fromCookie = cookieBuvid(config.cookie());
    if (fromCookie.isPresent()) {
      return Future.succeededFuture(fromCookie.get());
    }
    if (buvid == null || buvid.failed()) {
      buvid = get(config.buvidUrl()).compose(answer -> {
        JsonObject data = answer.body() == null ? null : answer.body().getJsonObject("data");
        Object b3 = data == null ? null : data.getValue("b_3");
        return b3 instanceof String s && !s.isEmpty() ? Future.succeededFuture(s)
            : Future.failedFuture("finger/spi answer without data.b_3");
      });
    }
    return buvid;
  }

  /** The wbi signer, from the cache or a fresh {@code nav}. */
  Future<WbiSigner> keys() {
    if (keys == null || keys.failed()) {
      keys = get(config.navUrl()).compose(answer -> {
        JsonObject data = answer.body() == null ? null : answer.body().getJsonObject("data");
        JsonObject img = data == null ? null : data.getJsonObject("wbi_img");
        Optional<String> imgKey = WbiSigner.keyOfUrl(img == null ? null : img.getString("img_url"));
        Optional<String> subKey = WbiSigner.keyOfUrl(img == null ? null : img.getString("sub_url"));
        if (imgKey.isEmpty() || subKey.isEmpty()) {
          return Future.failedFuture("nav answer without data.wbi_img keys (HTTP " + answer.status() + ")");
        }
        return Future.succeededFuture(new WbiSigner(imgKey.get(), subKey.get()));
      });
    }
    return keys;
  }

  /** Forgets the keys {@code stale} (after a -352), unless newer ones replaced them already. */
  void keysRejected(WbiSigner stale) {
    if (keys != null && keys.succeeded() && keys.result() == stale) {
      keys = null;
    }
  }

  Future<InfoResult> danmuInfo(long roomId) {
    return keys().compose(signer -> {
      Map<String, String> params = new LinkedHashMap<>();
      params.put("id", Long.toString(roomId));
      params.put("type", "0");
      params.put("web_location", "444.8");
      String url = withoutQuery(config.danmuInfoUrl()) + "?" + signer.signedQuery(params, clock.getAsLong() / 1000);
      return get(url).map(answer -> {
        if (answer.status() == 412) {
          return (InfoResult) new RiskControl(answer.sentAt());
        }
        JsonObject body = answer.body();
        Object code = body == null ? null : body.getValue("code");
        if (!(code instanceof Number n)) {
          return new Failed("getDanmuInfo answer is not the expected JSON (HTTP " + answer.status() + ")");
        }
        switch (n.intValue()) {
          case 0 -> {
            return info(body);
          }
          case -352 -> {
            keysRejected(signer);
            return new StaleKeys();
          }
          case -412 -> {
            return new RiskControl(answer.sentAt());
          }
          default -> {
            return new Failed("getDanmuInfo code " + n.intValue());
          }
        }
      });
    }, error -> Future.succeededFuture(new Failed(error.getMessage())));
  }

  private static InfoResult info(JsonObject body) {
    JsonObject data = body.getValue("data") instanceof JsonObject d ? d : null;
    Object token = data == null ? null : data.getValue("token");
    Object list = data == null ? null : data.getValue("host_list");
    if (!(token instanceof String t) || t.isEmpty() || !(list instanceof JsonArray hostList)) {
      return new Failed("getDanmuInfo answer without token and host_list");
    }
    List<Host> hosts = new ArrayList<>();
    for (Object h : hostList) {
      if (h instanceof JsonObject o && o.getValue("host") instanceof String name && !name.isEmpty()
          && o.getValue("ws_port") instanceof Number ws && o.getValue("wss_port") instanceof Number wss) {
        hosts.add(new Host(name, o.getValue("port") instanceof Number p ? p.intValue() : 0, ws.intValue(),
            wss.intValue()));
      }
    }
    return hosts.isEmpty() ? new Failed("getDanmuInfo host_list holds no usable host") : new Info(t, hosts);
  }

  /** An answer: HTTP status, the body as JSON (null when it is not a JSON object), when it was sent. */
  record Answer(int status, JsonObject body, long sentAt) {}

  /**
   * A GET after taking a gate token, whose end (answer or failure) is reported to the gate; risk control on it
   * pauses the gate. Fails only when no answer came.
   */
  private Future<Answer> get(String url) {
    return acquire().compose(sentAt -> {
      RequestOptions request = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url)
          .setTimeout(config.timeoutMs());
      config.headers().forEach(request::putHeader);
      if (!config.cookie().isEmpty()) {
        request.putHeader("Cookie", config.cookie());
      }
      return http.request(request).compose(req -> req.send()).compose(resp -> resp.body().map(body -> {
        JsonObject json = parse(body);
        long now = clock.getAsLong();
        boolean risk = resp.statusCode() == 412 || (json != null && Integer.valueOf(-412).equals(json.getValue("code")));
        if (risk) {
          gate.onRiskControl(now, sentAt);
        } else if (resp.statusCode() == 200) {
          gate.onSuccess(now);
        }
        return new Answer(resp.statusCode(), json, sentAt);
      })).andThen(done -> gate.onExchangeEnded(clock.getAsLong()));
    }).recover(error -> Future.failedFuture(describe(url, error)));
  }

  private JsonObject parse(Buffer body) {
    if (body.length() > config.maxBodyBytes()) {
      return null;
    }
    try {
      return body.toJsonValue() instanceof JsonObject o ? o : null;
    } catch (RuntimeException e) {
      return null;
    }
  }

  /**
   * Waits for a token of the shared budget; completes with the instant it was taken. Requests wait in one queue,
   * served in order as tokens come, with one timer for all of them: a timer per waiting request (1,000 rooms
   * connecting) would wake them all at each token's instant for one to win it, handing tokens to whichever timer
   * fired first and spending the event loop on timers.
   */
  private Future<Long> acquire() {
    Promise<Long> granted = Promise.promise();
    waiting.addLast(granted);
    if (waiting.size() == 1) {
      gate.waitingAhead(true);
      grant();
    }
    return granted.future();
  }

  /**
   * Hands out tokens to the waiting requests, oldest first, while the gate grants them (ahead of polls: a room
   * cannot be pushed before its connection info came), then sleeps once until the next token is due.
   */
  private void grant() {
    if (waitTimer >= 0) {
      vertx.cancelTimer(waitTimer);
      waitTimer = -1;
    }
    while (!waiting.isEmpty()) {
      long now = clock.getAsLong();
      if (!gate.tryAcquireAhead(now)) {
        if (waitTimer >= 0) {
          return; // a request queued while a token was handed out has set the timer already
        }
        long wait = Math.max(1, gate.nextTokenAtMs(now) - now);
        waitTimer = vertx.setTimer(wait, id -> {
          waitTimer = -1;
          grant();
        });
        return;
      }
      Promise<Long> next = waiting.pollFirst();
      if (waiting.isEmpty()) {
        gate.waitingAhead(false);
      }
      next.complete(now);
    }
  }

  Future<Void> close() {
    vertx.cancelTimer(waitTimer);
    waitTimer = -1;
    if (!waiting.isEmpty()) {
      waiting.clear();
      gate.waitingAhead(false);
    }
    return http.close();
  }

  private static String withoutQuery(String url) {
    int q = url.indexOf('?');
    return q >= 0 ? url.substring(0, q) : url;
  }

  /** Names the endpoint by its path only: a URL may not carry secrets today, but a log line never shows a query. */
  private static String describe(String url, Throwable error) {
    String path = withoutQuery(url);
    String message = error.getMessage();
    return "GET " + path + " failed: " + error.getClass().getSimpleName()
        + (message == null ? "" : ": " + message.replace('\n', ' '));
  }
}
