package io.danmakurelay;

import io.danmakurelay.cluster.ClusterMembership;
import io.danmakurelay.cluster.ClusterView;
import io.danmakurelay.cluster.PartitionHandover;
import io.danmakurelay.cluster.PartitionedSink;
import io.danmakurelay.config.RelayConfig;
import io.danmakurelay.kafka.EmbeddedKafka;
import io.danmakurelay.kafka.KafkaSink;
import io.danmakurelay.kafka.StateFeed;
import io.danmakurelay.pipeline.StateKeys;
import io.danmakurelay.kafka.RecordFormat;
import io.danmakurelay.kafka.RelayState;
import io.danmakurelay.pipeline.Pipeline;
import io.danmakurelay.poll.PollerVerticle;
import io.danmakurelay.push.PushSource;
import io.danmakurelay.poll.UpstreamGate;
import io.danmakurelay.video.VideoVerticle;
import io.danmakurelay.web.RelayMetrics;
import io.danmakurelay.web.WebVerticle;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
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
  private final ClusterMembership membership;
  private final ClusterView cluster;
  private final StateFeed roomList;

  private Relay(EmbeddedKafka embedded, String bootstrapServers, KafkaSink sink, Vertx vertx, WebVerticle web,
      ClusterMembership membership, ClusterView cluster, StateFeed roomList) {
    this.roomList = roomList;
    this.membership = membership;
    this.cluster = cluster;
    this.embedded = embedded;
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
    ClusterMembership membership = null;
    StateFeed roomList = null;
    RelayConfig.Cluster cluster = config.cluster();
    try {
      log.info("using Kafka at {}{}", bootstrap, embedded != null ? " (embedded)" : "");
      RelayState.ensureTopics(bootstrap, config.kafka(), cluster, KAFKA_TIMEOUT);
      String instanceId = cluster.instanceId().isEmpty() ? defaultInstanceId(config) : cluster.instanceId();

      PrometheusMeterRegistry registry = RelayMetrics.createRegistry();
      vertx = Vertx.builder()
          .with(new VertxOptions().setMetricsOptions(RelayMetrics.vertxMetricsOptions()))
          .withMetrics(new MicrometerMetricsFactory(registry))
          .build();

      AtomicReference<PollerVerticle> poller = new AtomicReference<>();
      AtomicReference<VideoVerticle> video = new AtomicReference<>();
      java.util.function.Consumer<io.danmakurelay.pipeline.SequencedBatch> onCommitted = batch -> {
        PollerVerticle p = poller.get();
        if (p != null) {
          p.onCommitted(batch);
        }
        VideoVerticle v = video.get();
        if (v != null) {
          v.onCommitted(batch);
        }
      };
      // In a cluster this is the relay's own sink (the room list's entries; the relay header names it), and
      // each owned partition gets a sink of its own when it is assigned.
      RecordFormat format = new RecordFormat(config.kafka(), cluster.enabled() ? instanceId : null);
      sink = new KafkaSink(bootstrap, cluster.enabled()
          ? config.kafka().transactionalId() + "-relay-" + instanceId : config.kafka().transactionalId(),
          relaySinkProducer(config), config.kafka().bufferSize(), format, registry, onCommitted, !cluster.enabled());
      sink.start();
      // The producer's initTransactions fences the previous incarnation and aborts its open transaction (a
      // kill -9 mid-commit). Only then is the state topic's committed end the real end: read before, a
      // read_committed consumer stops at the open transaction and restores an older dedupe state and seq.
      if (!sink.awaitReady(KAFKA_TIMEOUT)) {
        throw new IllegalStateException("the Kafka producer could not start its transactions within "
            + KAFKA_TIMEOUT.toSeconds() + " s" + (sink.lastError() == null ? "" : ": " + sink.lastError()));
      }
      RelayState state = RelayState.load(bootstrap, config.kafka().stateTopic(), KAFKA_TIMEOUT, cluster.enabled());
      PartitionedSink router = null;
      Pipeline pipeline;
      if (cluster.enabled()) {
        membership = new ClusterMembership(bootstrap, cluster.group(), instanceId,
            RelayState.coordinationTopic(config.kafka()), cluster.partitions(), cluster.sessionTimeoutMs());
        router = new PartitionedSink(membership::partitionOf, sink, config.kafka().bufferSize(), registry);
        PartitionedSink routed = router;
        Gauge.builder("danmaku.kafka.buffered.messages", routed, PartitionedSink::bufferedMessages)
            .description("Messages waiting to be committed to Kafka").register(registry);
        KafkaSink own = sink;
        Gauge.builder("danmaku.kafka.up", own, s -> s.healthy() ? 1 : 0)
            .description("1 while the last Kafka transaction succeeded and none is stalled").register(registry);
        // The seq and dedupe state of a room come with its partition (PartitionHandover), not from here.
        pipeline = new Pipeline(router);
      } else {
        pipeline = new Pipeline(sink);
        state.streams().forEach(pipeline::restore);
      }
      // One IP, one request budget: live polls and video reads spend from the same gate. No request outlives
      // its timeout.
      UpstreamGate gate = new UpstreamGate(config.upstream().requestsPerSecond(), config.backoff().initialMs(),
          config.backoff().maxMs(), config.upstream().timeoutMs() + 1000);
      poller.set(new PollerVerticle(config, pipeline, state, registry, gate));
      if (membership != null) {
        poller.get().clusterMode(membership::partitionOf);
      }
      video.set(new VideoVerticle(config, pipeline, state, gate, registry));
      ClusterView view = membership != null ? membership : ClusterView.single(cluster.group(), instanceId);
      WebVerticle web = new WebVerticle(config, sink, registry, bootstrap, state, view);
      vertx.deployVerticle(poller.get()).await(30, TimeUnit.SECONDS);
      if (config.upstream().pushEnabled()) {
        PushSource.start(vertx, config, poller.get(), pipeline, gate, registry).await(30, TimeUnit.SECONDS);
      }
      if (!cluster.enabled()) {
        vertx.deployVerticle(video.get()).await(30, TimeUnit.SECONDS);
      } else {
        // A cluster does not read videos yet (config.videos is refused): every relay would read every one.
        var bus = vertx.eventBus();
        bus.<io.vertx.core.json.JsonObject>consumer(io.danmakurelay.Addresses.VIDEOS_LIST,
            msg -> msg.reply(new io.vertx.core.json.JsonObject().put("videos", new io.vertx.core.json.JsonArray())));
        for (String address : java.util.List.of(io.danmakurelay.Addresses.VIDEOS_ADD, io.danmakurelay.Addresses.VIDEOS_REMOVE)) {
          bus.<io.vertx.core.json.JsonObject>consumer(address,
              msg -> msg.fail(400, "videos are not supported with cluster.enabled (every relay would read every video)"));
        }
      }
      if (cluster.enabled()) {
        // The room list is the cluster's: what any relay adds or removes reaches this one's registry. Caught up
        // before the API serves, so a room added elsewhere since the start-up read is not missed.
        roomList = new StateFeed(bootstrap, config.kafka().stateTopic(),
            java.util.List.of(StateKeys.FOLLOWED_ROOM, StateKeys.RESOLVED_ROOM), state.entries(), KAFKA_TIMEOUT,
            poller.get()::onClusterStateEntry);
        roomList.start().toCompletableFuture().get(KAFKA_TIMEOUT.toSeconds() + 10, TimeUnit.SECONDS);
      }
      vertx.deployVerticle(web).await(30, TimeUnit.SECONDS);
      if (membership != null) {
        ClusterMembership joined = membership;
        String partitionTxn = config.kafka().transactionalId() + "-p";
        String kafkaAt = bootstrap;
        joined.start(new PartitionHandover(joined, partition -> new KafkaSink(kafkaAt, partitionTxn + partition,
            config.kafka().producer(), config.kafka().bufferSize(), format, registry, onCommitted, false),
            router, pipeline, poller.get(), kafkaAt, config.kafka().stateTopic(), joined::requestRejoin));
        log.info("cluster: joining group {} as {} ({} partitions, session timeout {} ms)", cluster.group(), instanceId,
            cluster.partitions(), cluster.sessionTimeoutMs());
      }
      return new Relay(embedded, bootstrap, sink, vertx, web, membership, view, roomList);
    } catch (Exception | Error e) {
      if (roomList != null) {
        roomList.close();
      }
      if (membership != null) {
        membership.close(Duration.ofSeconds(10));
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

  /**
   * In a cluster the relay's own sink is fenced by no other relay: a transaction it left open (killed mid-commit)
   * would hold back every read_committed reader of the shared topics until the broker aborts it, so it gets a
   * short transaction timeout unless kafka.producer sets one.
   */
  private static java.util.Map<String, String> relaySinkProducer(RelayConfig config) {
    if (!config.cluster().enabled()) {
      return config.kafka().producer();
    }
    java.util.Map<String, String> producer = new java.util.HashMap<>(config.kafka().producer());
    producer.putIfAbsent("transaction.timeout.ms", Integer.toString(Math.max(10_000, 2 * config.cluster().sessionTimeoutMs())));
    return producer;
  }

  /** Host name and HTTP port (or process id when the port is chosen at random). */
  private static String defaultInstanceId(RelayConfig config) {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      host = "relay";
    }
    int port = config.http().port();
    return host + (port > 0 ? ":" + port : "-" + ProcessHandle.current().pid());
  }

  /** What this relay knows of its cluster (a cluster of one unless cluster.enabled). */
  public ClusterView cluster() {
    return cluster;
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
    if (membership != null) {
      // Hands every partition over first: its rooms stop and its sink commits what it holds.
      membership.close(Duration.ofSeconds(60));
    }
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
