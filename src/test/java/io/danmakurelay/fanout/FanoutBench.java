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
import io.danmakurelay.config.ConfigLoader;
import io.danmakurelay.config.RelayConfig;
import io.danmakurelay.kafka.CommittedFeed;
import io.danmakurelay.kafka.EmbeddedKafka;
import io.danmakurelay.kafka.RelayState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
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
 * Fan-out benchmark in two JVMs (see scripts/bench-fanout.sh). {@code server} runs the embedded Kafka
 * broker, the Fanout behind a real HTTP server fed by a {@link CommittedFeed} (as in the relay), and control
 * routes; {@code clients} connects N WebSocket clients, each subscribed to one room of each path, and runs
 * two phases at the same rate: <b>direct</b> (the server hands messages straight to the fan-out, the old
 * path) and <b>kafka</b> (this JVM commits them to Kafka in transactions, one per 10 ms tick, and the
 * server's read_committed feed delivers them). It prints deliveries per second and latency: publish to
 * receipt for direct, Kafka commit (commitTransaction returned) to receipt for kafka (System.nanoTime is
 * CLOCK_MONOTONIC on Linux, shared by both processes), and the server heap per connection.
 */
public final class FanoutBench {
  private static final byte[] SENT_AT = "\"sent_at\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] TX = "\"tx\":".getBytes(StandardCharsets.US_ASCII);
  private static final long DIRECT_ROOMS = 1_000_000;
  private static final long KAFKA_ROOMS = 2_000_000;
  private static final String TOPIC = "danmaku";
  private static final String EVENTS = "danmaku-events";
  private static final int BUCKET_MICROS = 50;
  private static final int BUCKETS = 1_200_000; // 50 us x 1.2M = 60 s

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
      clients(Integer.parseInt(opts.get("port")), opts.get("bootstrap"),
          Integer.parseInt(opts.getOrDefault("clients", "2000")),
          Integer.parseInt(opts.getOrDefault("rooms", "20")), Integer.parseInt(opts.getOrDefault("rate", "500")),
          Integer.parseInt(opts.getOrDefault("seconds", "15")), Integer.parseInt(opts.getOrDefault("text", "60")),
          opts.getOrDefault("paths", "direct,kafka"));
    } else {
      System.err.println("usage: FanoutBench server | clients --port P --bootstrap HOST:PORT [--clients N --rooms R "
          + "--rate MSG_PER_S --seconds S --text CHARS --paths direct,kafka]");
      System.exit(2);
    }
  }

  // ---- server JVM ----

  private static void server() throws Exception {
    EmbeddedKafka kafka = EmbeddedKafka.start(Files.createTempDirectory("bench-fanout-kafka"), 0);
    RelayConfig.Kafka topics = ConfigLoader.load(null, Map.of(), List.of("kafka.topic=" + TOPIC,
        "kafka.eventsTopic=" + EVENTS)).kafka();
    RelayState.ensureTopics(kafka.bootstrapServers(), topics, Duration.ofSeconds(60));
    Vertx vertx = Vertx.vertx();
    FanoutServer[] holder = new FanoutServer[1];
    Map<Long, Long> directSeq = new HashMap<>();
    holder[0] = FanoutServer.start(vertx, new FanoutSettings(1000, "", List.of()), FanoutLimits.DEFAULTS,
        new HttpServerOptions().setIdleTimeout(0), router -> {
          router.get("/bench/heap").blockingHandler(ctx -> ctx.json(heapReport(holder[0])));
          router.get("/bench/cpu").handler(ctx -> ctx.json(new JsonObject().put("cpu_nanos", processCpuNanos())));
          router.post("/bench/publish").handler(ctx -> {
            int rooms = Integer.parseInt(ctx.queryParam("rooms").get(0));
            int rate = Integer.parseInt(ctx.queryParam("rate").get(0));
            int seconds = Integer.parseInt(ctx.queryParam("seconds").get(0));
            int textChars = Integer.parseInt(ctx.queryParam("text").get(0));
            publishSteadily(ctx.vertx(), holder[0].fanout, directSeq, rooms, rate, seconds, textChars)
                .onComplete(ar -> ctx.json(new JsonObject().put("published", ar.result())));
          });
        });
    Fanout fanout = holder[0].fanout;
    CommittedFeed feed = new CommittedFeed(kafka.bootstrapServers(), topics, 1000, Map.of(), holder[0].registry,
        batch -> fanout.deliver(batch).toCompletionStage());
    feed.start().toCompletableFuture().get(60, TimeUnit.SECONDS);
    System.out.println("PORT " + holder[0].port() + " BOOTSTRAP " + kafka.bootstrapServers());
    System.out.flush();
  }

  /** CPU time this JVM has used, all threads (the broker's and the feed's included in the server JVM). */
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** Prints the CPU each JVM used over a phase, in seconds and in cores (of the machine's). */
  private static void reportCpu(String path, long serverCpuBefore, long serverCpuAfter, long clientsCpuBefore,
                                long clientsCpuAfter, long runStart) {
    double wall = (System.nanoTime() - runStart) / 1e9;
    double server = (serverCpuAfter - serverCpuBefore) / 1e9;
    double clients = (clientsCpuAfter - clientsCpuBefore) / 1e9;
    System.out.printf("  %s cpu over %.1f s: server JVM %.1f s (%.2f cores), clients JVM %.1f s (%.2f cores) of %d cores%n",
        path, wall, server, server / wall, clients, clients / wall, Runtime.getRuntime().availableProcessors());
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
  private static Future<Long> publishSteadily(Vertx vertx, Fanout fanout, Map<Long, Long> seqs, int rooms, int rate,
                                              int seconds, int textChars) {
    io.vertx.core.Promise<Long> done = io.vertx.core.Promise.promise();
    long start = System.nanoTime();
    long total = (long) rate * seconds;
    AtomicLong published = new AtomicLong();
    String text = "弹幕".repeat(Math.max(1, textChars / 2));
    vertx.setPeriodic(10, id -> {
      long due = Math.min(total, (System.nanoTime() - start) * rate / 1_000_000_000L);
      while (published.get() < due) {
        long n = published.getAndIncrement();
        long room = DIRECT_ROOMS + n % rooms;
        fanout.publish(room, value(room, n, text, seqs.merge(room, 1L, Long::sum)).put("sent_at", System.nanoTime()));
      }
      if (published.get() >= total) {
        vertx.cancelTimer(id);
        done.complete(published.get());
      }
    });
    return done.future();
  }

  /** A record value shaped like the relay's (SPEC 4), raw item included. */
  private static JsonObject value(long room, long n, String text, long seq) {
    long now = System.currentTimeMillis();
    return new JsonObject().put("room_id", room).put("id", "b" + n).put("list", "room").put("uid", n)
        .put("nickname", "bench").put("text", text).put("timeline", "2026-12-01 20:00:00").put("ts", now)
        .put("fetched_at", now).put("raw", new JsonObject().put("text", text).put("uid", n).put("nickname", "bench")
            .put("timeline", "2026-12-01 20:00:00").put("rnd", Long.toString(n)))
        .put("seq", seq);
  }

  /**
   * Commits {@code rate} messages/s round-robin over the Kafka path's rooms, one transaction per 10 ms tick
   * (what was due), recording when each commit returned. Returns the messages committed.
   */
  private static long produceSteadily(String bootstrap, int rooms, int rate, int seconds, int textChars,
                                      AtomicLongArray commitNanos) {
    String text = "弹幕".repeat(Math.max(1, textChars / 2));
    Map<Long, Long> seqs = new HashMap<>();
    long total = (long) rate * seconds;
    long produced = 0;
    int tx = 0;
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.TRANSACTIONAL_ID_CONFIG, "bench-fanout",
        ProducerConfig.LINGER_MS_CONFIG, 0), new StringSerializer(), new ByteArraySerializer())) {
      producer.initTransactions();
      long start = System.nanoTime();
      while (produced < total) {
        long due = Math.min(total, (System.nanoTime() - start) * rate / 1_000_000_000L);
        if (due > produced && tx + 1 < commitNanos.length()) {
          tx++;
          producer.beginTransaction();
          while (produced < due) {
            long room = KAFKA_ROOMS + produced % rooms;
            JsonObject v = value(room, produced, text, seqs.merge(room, 1L, Long::sum))
                .put("sent_at", System.nanoTime()).put("tx", tx);
            producer.send(new ProducerRecord<>(TOPIC, Long.toString(room), v.toBuffer().getBytes()));
            produced++;
          }
          producer.commitTransaction();
          commitNanos.set(tx, System.nanoTime());
        }
        long next = start + (produced + Math.max(1, rate / 100)) * 1_000_000_000L / rate;
        long sleep = Math.min(10, (next - System.nanoTime()) / 1_000_000);
        if (sleep > 0) {
          Thread.sleep(sleep);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return produced;
  }

  // ---- clients JVM ----

  /** Latency buckets of one path. */
  private static final class Latency {
    final AtomicLongArray buckets = new AtomicLongArray(BUCKETS);
    final AtomicLong received = new AtomicLong();
    final AtomicLong overflow = new AtomicLong();
    final AtomicLong beforeCommitReturned = new AtomicLong();

    void record(long nanos) {
      received.incrementAndGet();
      int bucket = (int) (Math.max(0, nanos) / 1000 / BUCKET_MICROS);
      if (bucket >= BUCKETS) {
        overflow.incrementAndGet();
      } else {
        buckets.incrementAndGet(bucket);
      }
    }

    String summary() {
      long o = overflow.get();
      return "p50=" + percentile(buckets, o, 0.50) + " p99=" + percentile(buckets, o, 0.99) + " p99.9="
          + percentile(buckets, o, 0.999) + " max_bucket=" + percentile(buckets, o, 1.0);
    }
  }

  private static void clients(int port, String bootstrap, int clients, int rooms, int rate, int seconds,
                              int textChars, String paths) throws Exception {
    Vertx vertx = Vertx.vertx();
    HttpClientAgent http = vertx.createHttpClient();
    WebSocketClient wsClient = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setMaxConnections(clients + 10).setDefaultHost("127.0.0.1").setDefaultPort(port));
    Latency direct = new Latency();
    Latency kafka = new Latency();
    Latency kafkaFromSend = new Latency();
    AtomicLongArray commitNanos = new AtomicLongArray(seconds * 1000 + 1000);

    JsonObject before = call(http, port, HttpMethod.GET, "/bench/heap");
    long connectStart = System.nanoTime();
    List<WebSocket> sockets = new ArrayList<>();
    int batch = 100;
    for (int first = 0; first < clients; first += batch) {
      List<Future<WebSocket>> pending = new ArrayList<>();
      for (int i = first; i < Math.min(clients, first + batch); i++) {
        long offset = i % rooms;
        pending.add(wsClient.connect(new WebSocketConnectOptions().setURI("/ws")).compose(ws -> {
          io.vertx.core.Promise<WebSocket> subscribed = io.vertx.core.Promise.promise();
          ws.handler(frame -> {
            if (!subscribed.future().isComplete()) {
              subscribed.complete(ws);
              return;
            }
            long now = System.nanoTime();
            long sentAt = number(frame, SENT_AT);
            if (sentAt < 0) {
              return;
            }
            long tx = number(frame, TX);
            if (tx < 0) {
              direct.record(now - sentAt);
              return;
            }
            long committed = commitNanos.get((int) tx);
            if (committed == 0) {
              // Delivered before this JVM saw commitTransaction return: the broker had already committed.
              kafka.beforeCommitReturned.incrementAndGet();
              kafka.record(0);
            } else {
              kafka.record(now - committed);
            }
            kafkaFromSend.record(now - sentAt);
          });
          ws.writeTextMessage(new JsonObject().put("op", "subscribe")
              .put("rooms", new JsonArray().add(DIRECT_ROOMS + offset).add(KAFKA_ROOMS + offset)).encode());
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
    System.out.printf("clients=%d rooms=%d per path, publish_rate=%d/s seconds=%d text_chars=%d%n", clients, rooms, rate,
        seconds, textChars);
    System.out.printf("connect: %d clients in %.1f s; server connections=%d%n", clients, connectSeconds,
        after.getInteger("connections"));

    if (paths.contains("direct")) {
      long serverCpu = call(http, port, HttpMethod.GET, "/bench/cpu").getLong("cpu_nanos");
      long clientsCpu = processCpuNanos();
      long runStart = System.nanoTime();
      JsonObject run = call(http, port, HttpMethod.POST,
          "/bench/publish?rooms=" + rooms + "&rate=" + rate + "&seconds=" + seconds + "&text=" + textChars);
      report("direct (publish -> client)", run.getLong("published"), clients, rooms, direct, runStart);
      reportCpu("direct", serverCpu, call(http, port, HttpMethod.GET, "/bench/cpu").getLong("cpu_nanos"), clientsCpu,
          processCpuNanos(), runStart);
    }
    if (paths.contains("kafka")) {
      long serverCpu = call(http, port, HttpMethod.GET, "/bench/cpu").getLong("cpu_nanos");
      long clientsCpu = processCpuNanos();
      long runStart = System.nanoTime();
      long published = produceSteadily(bootstrap, rooms, rate, seconds, textChars, commitNanos);
      report("kafka (commit -> client)", published, clients, rooms, kafka, runStart);
      reportCpu("kafka", serverCpu, call(http, port, HttpMethod.GET, "/bench/cpu").getLong("cpu_nanos"), clientsCpu,
          processCpuNanos(), runStart);
      System.out.printf("  kafka (send -> client, commit included): %s; delivered before commitTransaction "
          + "returned: %d%n", kafkaFromSend.summary(), kafka.beforeCommitReturned.get());
    }
    JsonObject end = call(http, port, HttpMethod.GET, "/bench/heap");
    System.out.printf("server heap: before=%.1f MiB after_connect=%.1f MiB -> %,d bytes per connection; after_run=%.1f MiB%n",
        before.getLong("used") / 1048576.0, after.getLong("used") / 1048576.0, heapPerConnection,
        end.getLong("used") / 1048576.0);
    System.out.printf("server disconnects: %s%n", end.getJsonObject("disconnects").encode());
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      System.out.println("(closing the 2,000 client connections took over 30 s; exiting anyway)");
    }
    System.exit(0);
  }

  private static void report(String path, long published, int clients, int rooms, Latency latency, long runStart)
      throws InterruptedException {
    long expected = published * (clients / rooms) + countExtra(published, clients, rooms);
    // Up to 60 s for the backlog of a saturated run to arrive, so the next phase starts on an idle fan-out.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (latency.received.get() < expected && System.nanoTime() < deadline) {
      Thread.sleep(20); // bench only: waiting for the tail of in-flight deliveries
    }
    double runSeconds = (System.nanoTime() - runStart) / 1e9;
    long got = latency.received.get();
    System.out.printf("%s: published=%d deliveries expected=%d received=%d (%.2f%%) deliveries/s=%.0f (over %.1f s "
        + "incl. drain) %s%n", path, published, expected, got, 100.0 * got / Math.max(1, expected), got / runSeconds,
        runSeconds, latency.summary());
  }

  /** Subscribers of the first (clients % rooms) rooms get one client more. */
  private static long countExtra(long published, int clients, int rooms) {
    int extraRooms = clients % rooms;
    long perRoomFull = published / rooms;
    long remainder = published % rooms;
    return perRoomFull * extraRooms + Math.min(remainder, extraRooms);
  }

  /**
   * The decimal number after {@code field} in the frame, or -1 when the field is absent. Searched from the
   * end: the bench's fields come last in the value, so the clients' JVM spends little CPU per frame.
   */
  private static long number(Buffer frame, byte[] field) {
    int n = frame.length();
    outer:
    for (int i = n - field.length - 1; i >= 0; i--) {
      for (int j = 0; j < field.length; j++) {
        if (frame.getByte(i + j) != field[j]) {
          continue outer;
        }
      }
      long value = 0;
      for (int k = i + field.length; k < n; k++) {
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
