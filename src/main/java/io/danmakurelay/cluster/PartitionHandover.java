package io.danmakurelay.cluster;

import io.danmakurelay.kafka.KafkaSink;
import io.danmakurelay.kafka.RelayState;
import io.danmakurelay.pipeline.Pipeline;
import io.danmakurelay.pipeline.StreamKey;
import io.danmakurelay.poll.PollerVerticle;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a cluster member does when partitions move (docs/ARCHITECTURE.md, "Cluster"). The order keeps every
 * room's {@code seq} contiguous across owners:
 * <ul>
 *   <li><b>assigned</b>: start a sink per partition, whose {@code initTransactions} fences the previous owner's
 *   producer and aborts its open transaction; then read the state topic to its end, so the last state the
 *   previous owner committed is the one restored; then replace the partition's rooms' seq and dedupe state with
 *   it, and only then start polling them;</li>
 *   <li><b>revoked</b>: stop the rooms (nothing of theirs is published after), let the sink commit what it holds
 *   (bounded), close it; only then does the coordinator give the partition to its next owner;</li>
 *   <li><b>lost</b> (or a sink fenced): stop the rooms and drop the sink without committing.</li>
 * </ul>
 * Runs on the membership thread (the fencing listener on the sink's).
 */
public final class PartitionHandover implements ClusterMembership.Listener {

  private static final Logger log = LoggerFactory.getLogger(PartitionHandover.class);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration DELIVER_TIMEOUT = Duration.ofSeconds(10);
  private static final long CONTEXT_TIMEOUT_S = 30;

  private final ClusterView view;
  private final IntFunction<KafkaSink> sinkFactory;
  private final PartitionedSink router;
  private final Pipeline pipeline;
  private final PollerVerticle poller;
  private final String bootstrapServers;
  private final String stateTopic;
  private final Runnable rejoin;

  /**
   * @param sinkFactory a new, unstarted sink for a partition (transactional id {@code <base>-p<N>})
   * @param rejoin      asks the membership to leave and join again (a sink failed for good)
   */
  public PartitionHandover(ClusterView view, IntFunction<KafkaSink> sinkFactory, PartitionedSink router,
      Pipeline pipeline, PollerVerticle poller, String bootstrapServers, String stateTopic, Runnable rejoin) {
    this.view = view;
    this.sinkFactory = sinkFactory;
    this.router = router;
    this.pipeline = pipeline;
    this.poller = poller;
    this.bootstrapServers = bootstrapServers;
    this.stateTopic = stateTopic;
    this.rejoin = rejoin;
  }

  @Override
  public void assigned(Set<Integer> partitions) {
    long started = System.nanoTime();
    Map<Integer, KafkaSink> sinks = new LinkedHashMap<>();
    for (int partition : partitions) {
      KafkaSink sink = sinkFactory.apply(partition);
      sink.onFenced(() -> fenced(partition, sink));
      sink.start();
      sinks.put(partition, sink);
    }
    // 1. Fence: every sink's initTransactions, in parallel (each on its own thread).
    Set<Integer> ready = new TreeSet<>();
    boolean failed = false;
    // One deadline for all: waiting READY_TIMEOUT per sink would hold the rebalance callback for N times that
    // (past max.poll.interval.ms, out of the group) while the coordinator is away.
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    for (Map.Entry<Integer, KafkaSink> e : sinks.entrySet()) {
      try {
        if (e.getValue().awaitReady(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
          ready.add(e.getKey());
          continue;
        }
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
      }
      log.error("cluster: partition {}: the producer could not start its transactions: {}", e.getKey(),
          e.getValue().lastError());
      e.getValue().abandon();
      failed = true;
    }
    if (!ready.isEmpty()) {
      // 2. Read the state topic to its end: the previous owners' last commits are visible now.
      RelayState state;
      try {
        state = RelayState.load(bootstrapServers, stateTopic, READY_TIMEOUT, true);
      } catch (RuntimeException e) {
        log.error("cluster: partitions {}: cannot read the state topic: {}", ready, e.getMessage());
        ready.forEach(p -> sinks.get(p).abandon());
        rejoin.run();
        return;
      }
      // 3. Route, restore seq and dedupe state (replacing what this relay held), then poll.
      Predicate<StreamKey> mine = stream -> stream.kind() == StreamKey.Kind.ROOM
          && ready.contains(view.partitionOf(stream.id()));
      Map<StreamKey, JsonObject> streams = state.streams();
      Map<Long, JsonObject> snapshots = new LinkedHashMap<>();
      streams.forEach((stream, snapshot) -> {
        if (mine.test(stream)) {
          snapshots.put(stream.id(), snapshot);
        }
      });
      ready.forEach(p -> router.put(p, sinks.get(p)));
      pipeline.reset(mine, streams);
      await(poller.adopt(ready, snapshots), "starting the rooms of " + ready);
      log.info("cluster: partitions {} ready in {} ms ({} rooms with state)", ready,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), snapshots.size());
    }
    if (failed) {
      rejoin.run();
    }
  }

  @Override
  public void revoked(Set<Integer> partitions) {
    await(poller.release(partitions), "stopping the rooms of " + partitions);
    Map<Integer, KafkaSink> closing = new LinkedHashMap<>();
    for (int partition : partitions) {
      if (router.remove(partition) instanceof KafkaSink sink) {
        sink.beginClose(DELIVER_TIMEOUT);
        closing.put(partition, sink);
      }
    }
    closing.values().forEach(sink -> sink.awaitClosed(DELIVER_TIMEOUT.plusSeconds(10)));
    log.info("cluster: partitions {} handed over", partitions);
  }

  @Override
  public void lost(Set<Integer> partitions) {
    await(poller.release(partitions), "stopping the rooms of " + partitions);
    for (int partition : partitions) {
      if (router.remove(partition) instanceof KafkaSink sink) {
        sink.abandon();
      }
    }
  }

  /** A partition's sink was fenced (or failed for good): stop its rooms, drop it, and join the group again. */
  private void fenced(int partition, KafkaSink sink) {
    if (router.remove(partition, sink)) {
      log.warn("cluster: partition {} fenced: its rooms stop here, nothing of theirs held is committed", partition);
      poller.release(Set.of(partition));
      rejoin.run();
    }
  }

  private static void await(io.vertx.core.Future<Void> done, String what) {
    try {
      done.await(CONTEXT_TIMEOUT_S, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.error("cluster: {}: {}", what, e.toString());
    }
  }
}
