package io.danmakurelay;

import io.danmakurelay.cluster.ClusterView;
import io.danmakurelay.config.RelayConfig;
import io.danmakurelay.kafka.EmbeddedKafka;
import io.danmakurelay.kafka.KafkaSink;
import io.danmakurelay.kafka.RecordFormat;
import io.danmakurelay.kafka.RelayState;
import io.danmakurelay.kafka.StateFeed;
import io.danmakurelay.pipeline.StateKeys;
import io.danmakurelay.pipeline.Pipeline;
import io.danmakurelay.poll.PollerVerticle;
import io.danmakurelay.push.PushSource;
import io.danmakurelay.poll.UpstreamGate;
import io.danmakurelay.video.VideoVerticle;
import io.danmakurelay.web.RelayMetrics;
import io.danmakurelay.web.WebVerticle;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running relay: the embedded broker (unless a cluster is configured), the Kafka sink, the poller and
 * the web verticle, started in that order and stopped in reverse so buffered messages reach Kafka.
 */
public final class Relay implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Relay.class);
  private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(60);

  private final EmbeddedKafka embedded;
  private final String bootstrapServers;
  private final KafkaSink sink;
  private final Vertx vertx;
  private final WebVerticle web;
  private final StateFeed roomList;

  private Relay(EmbeddedKafka embedded, String bootstrapServers, KafkaSink sink, Vertx vertx, WebVerticle web,
      StateFeed roomList) {
    this.embedded = embedded;
    this.roomList = roomList;
    this.bootstrapServers = bootstrapServers;
    this.sink = sink;
    this.vertx = vertx;
    this.web = web;
  }

  /** Starts everything, blocking until the relay serves (or throwing with the reason it cannot). */
  public static Relay start(RelayConfig config) throws Exception {
    EmbeddedKafka embedded = null;
    String bootstrap = config.kafka().bootstrapServers();
    if (config.kafka().embedded()) {
      embedded = EmbeddedKafka.start(Path.of(config.kafka().dataDir()), config.kafka().embeddedPort());
      bootstrap = embedded.bootstrapServers();
    }
    Vertx vertx = null;
    KafkaSink sink = null;
    StateFeed roomList = null;
    try {
      log.info("using Kafka at {}{}", bootstrap, embedded != null ? " (embedded)" : "");
      RelayState.ensureTopics(bootstrap, config.kafka(), KAFKA_TIMEOUT);

      PrometheusMeterRegistry registry = RelayMetrics.createRegistry();
      vertx = Vertx.builder()
          .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
          .withMetrics(new MicrometerMetricsFactory(registry))
          .build();

      AtomicReference<PollerVerticle> poller = new AtomicReference<>();
      AtomicReference<VideoVerticle> video = new AtomicReference<>();
      sink = new KafkaSink(bootstrap, config.kafka().transactionalId(), config.kafka().producer(),
          config.kafka().bufferSize(), new RecordFormat(config.kafka()), registry, batch -> {
            PollerVerticle p = poller.get();
            if (p != null) {
              p.onCommitted(batch);
            }
            VideoVerticle v = video.get();
            if (v != null) {
              v.onCommitted(batch);
            }
          });
      sink.start();
      // The producer's initTransactions fences the previous incarnation and aborts its open transaction (a
      // kill -9 mid-commit). Only then is the state topic's committed end the real end: read before, a
      // read_committed consumer stops at the open transaction and restores an older dedupe state and seq.
      if (!sink.awaitReady(KAFKA_TIMEOUT)) {
        throw new IllegalStateException("the Kafka producer could not start its transactions within "
            + KAFKA_TIMEOUT.toSeconds() + " s" + (sink.lastError() == null ? "" : ": " + sink.lastError()));
      }
      RelayState state = RelayState.load(bootstrap, config.kafka().stateTopic(), KAFKA_TIMEOUT);
      Pipeline pipeline = new Pipeline(sink);
      state.streams().forEach(pipeline::restore);
      // One IP, one request budget: live polls and video reads spend from the same gate. No request outlives
      // its timeout.
      UpstreamGate gate = new UpstreamGate(config.upstream().requestsPerSecond(), config.backoff().initialMs(),
          config.backoff().maxMs(), config.upstream().timeoutMs() + 1000);
      poller.set(new PollerVerticle(config, pipeline, state, registry, gate));
      video.set(new VideoVerticle(config, pipeline, state, gate, registry));
      ClusterView cluster = ClusterView.single(config.cluster().group(), instanceId(config));
      WebVerticle web = new WebVerticle(config, sink, registry, bootstrap, state, cluster);
      vertx.deployVerticle(poller.get()).await(30, TimeUnit.SECONDS);
      if (config.upstream().pushEnabled()) {
        startPush(vertx, config, poller.get(), pipeline, gate, registry).await(30, TimeUnit.SECONDS);
      }
      vertx.deployVerticle(video.get()).await(30, TimeUnit.SECONDS);
      if (config.cluster().enabled()) {
        // The room list is the cluster's: what any relay adds or removes reaches this one's registry. Caught up
        // before the API serves, so a room added elsewhere since the start-up read is not missed.
        roomList = new StateFeed(bootstrap, config.kafka().stateTopic(),
            java.util.List.of(StateKeys.FOLLOWED_ROOM, StateKeys.RESOLVED_ROOM), state.entries(), KAFKA_TIMEOUT,
            poller.get()::onClusterStateEntry);
        roomList.start().toCompletableFuture().get(KAFKA_TIMEOUT.toSeconds() + 10, TimeUnit.SECONDS);
      }
      vertx.deployVerticle(web).await(30, TimeUnit.SECONDS);
      return new Relay(embedded, bootstrap, sink, vertx, web, roomList);
    } catch (Exception | Error e) {
      if (roomList != null) {
        roomList.close();
      }
      if (vertx != null) {
        vertx.close().await(10, TimeUnit.SECONDS);
      }
      if (sink != null) {
        sink.close(Duration.ofSeconds(5));
      }
      if (embedded != null) {
        embedded.close();
      }
      throw e;
    }
  }

  /** {@code cluster.instanceId}, or host name and HTTP port: unique among relays of one group. */
  static String instanceId(RelayConfig config) {
    if (!config.cluster().instanceId().isEmpty()) {
      return config.cluster().instanceId();
    }
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      host = "localhost";
    }
    return host + ":" + config.http().port();
  }

  /** The push source runs on the poller's context, whose rooms and dedupers it shares (modes push, hybrid). */
  private static io.vertx.core.Future<PushSource> startPush(Vertx vertx, RelayConfig config, PollerVerticle poller,
      Pipeline pipeline, UpstreamGate gate, PrometheusMeterRegistry registry) {
    io.vertx.core.Promise<PushSource> started = io.vertx.core.Promise.promise();
    poller.runOnContext(v -> {
      try {
        started.complete(new PushSource(vertx, config, poller.loop(), pipeline, gate, registry).start());
      } catch (RuntimeException e) {
        started.fail(e);
      }
    });
    return started.future();
  }

  public int httpPort() {
    return web.port();
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** Stops polling, delivers what is buffered to Kafka, then stops the rest. */
  @Override
  public void close() {
    if (roomList != null) {
      roomList.close();
    }
    try {
      vertx.close().await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("stopping Vert.x: {}", e.toString());
    }
    sink.close(Duration.ofSeconds(30));
    if (embedded != null) {
      embedded.close();
    }
    log.info("relay stopped");
  }
}
