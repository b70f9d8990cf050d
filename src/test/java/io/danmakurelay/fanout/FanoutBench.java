package io.danmakurelay.fanout;

import ch.qos.logback.classic.Level;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fan-out benchmark in two JVMs (see scripts/bench-fanout.sh). {@code server} runs the Fanout behind a
 * real HTTP server plus two control routes; {@code clients} connects N WebSocket clients across rooms,
 * has the server publish at a steady rate, and prints deliveries per second, publish-to-receipt latency
 * (System.nanoTime is CLOCK_MONOTONIC on Linux, shared by both processes) and server heap per connection.
 */
public final class FanoutBench {
  private static final byte[] SENT_AT = "\"sent_at\":".getBytes(StandardCharsets.US_ASCII);
  private static final int BUCKET_MICROS = 50;
  private static final int BUCKETS = 200_000; // 50 us x 200k = 10 s

  private FanoutBench() {
  }

  public static void main(String[] args) throws Exception {
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN);
    Map<String, String> opts = new HashMap<>();
    for (int i = 1; i + 1 < args.length; i += 2) {
      opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    if (args.length > 0 && args[0].equals("server")) {
      server();
    } else if (args.length > 0 && args[0].equals("clients")) {
      clients(Integer.parseInt(opts.get("port")), Integer.parseInt(opts.getOrDefault("clients", "2000")),
          Integer.parseInt(opts.getOrDefault("rooms", "20")), Integer.parseInt(opts.getOrDefault("rate", "500")),
          Integer.parseInt(opts.getOrDefault("seconds", "15")), Integer.parseInt(opts.getOrDefault("text", "60")));
    } else {
      System.err.println("usage: FanoutBench server | clients --port P [--clients N --rooms R --rate MSG_PER_S --seconds S --text CHARS]");
      System.exit(2);
    }
  }

  // ---- server JVM ----

  private static void server() {
    Vertx vertx = Vertx.vertx();
    FanoutServer[] holder = new FanoutServer[1];
    holder[0] = FanoutServer.start(vertx, new FanoutSettings(1000, "", List.of()), FanoutLimits.DEFAULTS,
        new HttpServerOptions().setIdleTimeout(0), router -> {
          router.get("/bench/heap").blockingHandler(ctx -> ctx.json(heapReport(holder[0])));
          router.post("/bench/publish").handler(ctx -> {
            int rooms = Integer.parseInt(ctx.queryParam("rooms").get(0));
            int rate = Integer.parseInt(ctx.queryParam("rate").get(0));
            int seconds = Integer.parseInt(ctx.queryParam("seconds").get(0));
            int textChars = Integer.parseInt(ctx.queryParam("text").get(0));
            publishSteadily(ctx.vertx(), holder[0].fanout, rooms, rate, seconds, textChars)
                .onComplete(ar -> ctx.json(new JsonObject().put("published", ar.result())));
          });
        });
    System.out.println("PORT " + holder[0].port());
    System.out.flush();
  }

  private static JsonObject heapReport(FanoutServer server) {
    Runtime rt = Runtime.getRuntime();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      used = Math.min(used, rt.totalMemory() - rt.freeMemory());
    }
    JsonObject disconnects = new JsonObject();
    server.registry.find("danmaku.ws.disconnects").counters()
        .forEach(c -> disconnects.put(c.getId().getTag("reason"), (long) c.count()));
    return new JsonObject().put("used", used).put("connections", server.fanout.connections())
        .put("disconnects", disconnects);
  }

  /** Publishes rate messages/s, round-robin over rooms, in 10 ms ticks on the fan-out's event loop. */
  private static Future<Long> publishSteadily(Vertx vertx, Fanout fanout, int rooms, int rate, int seconds,
                                              int textChars) {
    io.vertx.core.Promise<Long> done = io.vertx.core.Promise.promise();
    long start = System.nanoTime();
    long total = (long) rate * seconds;
    AtomicLong published = new AtomicLong();
    String text = "弹幕".repeat(Math.max(1, textChars / 2));
    vertx.setPeriodic(10, id -> {
      long due = Math.min(total, (System.nanoTime() - start) * rate / 1_000_000_000L);
      while (published.get() < due) {
        long n = published.getAndIncrement();
        long room = 1_000_000 + n % rooms;
        fanout.publish(room, new JsonObject().put("room_id", room).put("id", "b" + n).put("list", "room")
            .put("uid", n).put("nickname", "bench").put("text", text).put("ts", System.currentTimeMillis())
            .put("sent_at", System.nanoTime()));
      }
      if (published.get() >= total) {
        vertx.cancelTimer(id);
        done.complete(published.get());
      }
    });
    return done.future();
  }

  // ---- clients JVM ----

  private static void clients(int port, int clients, int rooms, int rate, int seconds, int textChars) throws Exception {
    Vertx vertx = Vertx.vertx();
    HttpClientAgent http = vertx.createHttpClient();
    WebSocketClient wsClient = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setMaxConnections(clients + 10).setDefaultHost("127.0.0.1").setDefaultPort(port));
    AtomicLongArray latency = new AtomicLongArray(BUCKETS);
    AtomicLong received = new AtomicLong();
    AtomicLong overflow = new AtomicLong();

    JsonObject before = call(http, port, HttpMethod.GET, "/bench/heap");
    long connectStart = System.nanoTime();
    List<WebSocket> sockets = new ArrayList<>();
    int batch = 100;
    for (int first = 0; first < clients; first += batch) {
      List<Future<WebSocket>> pending = new ArrayList<>();
      for (int i = first; i < Math.min(clients, first + batch); i++) {
        long room = 1_000_000 + i % rooms;
        pending.add(wsClient.connect(new WebSocketConnectOptions().setURI("/ws")).compose(ws -> {
          io.vertx.core.Promise<WebSocket> subscribed = io.vertx.core.Promise.promise();
          ws.handler(frame -> {
            if (!subscribed.future().isComplete()) {
              subscribed.complete(ws);
              return;
            }
            long sentAt = sentAt(frame);
            if (sentAt < 0) {
              return;
            }
            received.incrementAndGet();
            long micros = (System.nanoTime() - sentAt) / 1000;
            int bucket = (int) (micros / BUCKET_MICROS);
            if (bucket >= BUCKETS) {
              overflow.incrementAndGet();
            } else {
              latency.incrementAndGet(Math.max(0, bucket));
            }
          });
          ws.writeTextMessage(new JsonObject().put("op", "subscribe").put("rooms", new JsonArray().add(room)).encode());
          return subscribed.future();
        }));
      }
      for (Future<WebSocket> f : pending) {
        sockets.add(f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
      }
    }
    double connectSeconds = (System.nanoTime() - connectStart) / 1e9;
    JsonObject after = call(http, port, HttpMethod.GET, "/bench/heap");
    long heapPerConnection = (after.getLong("used") - before.getLong("used")) / clients;

    long runStart = System.nanoTime();
    JsonObject run = call(http, port, HttpMethod.POST,
        "/bench/publish?rooms=" + rooms + "&rate=" + rate + "&seconds=" + seconds + "&text=" + textChars);
    long published = run.getLong("published");
    long expected = published * (clients / rooms) + countExtra(published, clients, rooms);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (received.get() + overflow.get() < expected && System.nanoTime() < deadline) {
      Thread.sleep(20); // bench only: waiting for the tail of in-flight deliveries
    }
    double runSeconds = (System.nanoTime() - runStart) / 1e9;
    JsonObject end = call(http, port, HttpMethod.GET, "/bench/heap");

    long got = received.get() + overflow.get();
    System.out.printf("clients=%d rooms=%d publish_rate=%d/s seconds=%d text_chars=%d%n", clients, rooms, rate, seconds, textChars);
    System.out.printf("connect: %d clients in %.1f s; server connections=%d%n", clients, connectSeconds, after.getInteger("connections"));
    System.out.printf("published=%d deliveries expected=%d received=%d (%.2f%%)%n", published, expected, got,
        100.0 * got / Math.max(1, expected));
    System.out.printf("deliveries/s=%.0f (over %.1f s incl. drain)%n", got / runSeconds, runSeconds);
    System.out.printf("latency publish->receipt: p50=%s p99=%s p99.9=%s max_bucket=%s%n",
        percentile(latency, overflow.get(), 0.50), percentile(latency, overflow.get(), 0.99),
        percentile(latency, overflow.get(), 0.999), percentile(latency, overflow.get(), 1.0));
    System.out.printf("server heap: before=%.1f MiB after_connect=%.1f MiB -> %,d bytes per connection; after_run=%.1f MiB%n",
        before.getLong("used") / 1048576.0, after.getLong("used") / 1048576.0, heapPerConnection,
        end.getLong("used") / 1048576.0);
    System.out.printf("server disconnects: %s%n", end.getJsonObject("disconnects").encode());
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Subscribers of the first (clients % rooms) rooms get one client more. */
  private static long countExtra(long published, int clients, int rooms) {
    int extraRooms = clients % rooms;
    long perRoomFull = published / rooms;
    long remainder = published % rooms;
    return perRoomFull * extraRooms + Math.min(remainder, extraRooms);
  }

  private static long sentAt(Buffer frame) {
    int n = frame.length();
    outer:
    for (int i = 0; i + SENT_AT.length < n; i++) {
      for (int j = 0; j < SENT_AT.length; j++) {
        if (frame.getByte(i + j) != SENT_AT[j]) {
          continue outer;
        }
      }
      long value = 0;
      for (int k = i + SENT_AT.length; k < n; k++) {
        byte b = frame.getByte(k);
        if (b < '0' || b > '9') {
          break;
        }
        value = value * 10 + (b - '0');
      }
      return value;
    }
    return -1;
  }

  private static String percentile(AtomicLongArray buckets, long overflow, double q) {
    long total = overflow;
    for (int i = 0; i < buckets.length(); i++) {
      total += buckets.get(i);
    }
    if (total == 0) {
      return "n/a";
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int i = 0; i < buckets.length(); i++) {
      seen += buckets.get(i);
      if (seen >= rank) {
        return formatMicros((long) (i + 1) * BUCKET_MICROS);
      }
    }
    return ">" + formatMicros((long) BUCKETS * BUCKET_MICROS);
  }

  private static String formatMicros(long micros) {
    return micros < 10_000 ? String.format("%.2f ms", micros / 1000.0) : String.format("%.0f ms", micros / 1000.0);
  }

  private static JsonObject call(HttpClientAgent http, int port, HttpMethod method, String uri) throws Exception {
    return http.request(method, port, "127.0.0.1", uri)
        .compose(req -> req.send().compose(resp -> resp.body()))
        .map(Buffer::toJsonObject)
        .toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
  }
}
