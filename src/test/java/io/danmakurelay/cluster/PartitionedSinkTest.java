package io.danmakurelay.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.pipeline.Pipeline;
import io.danmakurelay.pipeline.SideRecord;
import io.danmakurelay.pipeline.SourceBatch;
import io.danmakurelay.pipeline.SourceItem;
import io.danmakurelay.pipeline.StreamKey;
import io.danmakurelay.testsupport.RecordingSink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PartitionedSinkTest {

  private static SourceBatch roomBatch(long room, int messages) {
    List<SourceItem> items = new ArrayList<>();
    for (int i = 0; i < messages; i++) {
      items.add(new SourceItem(new JsonObject().put("text", "m" + i), 0));
    }
    return new SourceBatch(StreamKey.room(room), "test", items, new JsonObject());
  }

  @Test
  @DisplayName("the partition of a room is a pure function of its real id, within range, and spreads ids")
  void partitionFunction() {
    for (long id : new long[] {1, 2, 7734200, 21452505, Long.MAX_VALUE, 1L << 40}) {
      int p = ClusterMembership.partitionOf(id, 32);
      assertThat(p).isBetween(0, 31).isEqualTo(ClusterMembership.partitionOf(id, 32));
    }
    assertThat(ClusterMembership.partitionOf(12345, 1)).isZero();
    Map<Integer, Long> perPartition = LongStream.rangeClosed(1_000_000, 1_000_599).boxed()
        .collect(Collectors.groupingBy(id -> ClusterMembership.partitionOf(id, 12), Collectors.counting()));
    assertThat(perPartition).hasSize(12);
    assertThat(perPartition.values()).allSatisfy(n -> assertThat(n).isEqualTo(50L));
  }

  @Test
  @DisplayName("each room's batch reaches the sink of its partition; batches of no room go to the relay's sink")
  void routesByPartition() {
    RecordingSink relay = new RecordingSink();
    RecordingSink p0 = new RecordingSink();
    RecordingSink p1 = new RecordingSink();
    PartitionedSink router = new PartitionedSink(id -> (int) (id % 2), relay, 1000, new SimpleMeterRegistry());
    router.put(0, p0);
    router.put(1, p1);
    Pipeline pipeline = new Pipeline(router);
    pipeline.publish(roomBatch(10, 2));
    pipeline.publish(roomBatch(11, 3));
    pipeline.publish(roomBatch(12, 1));
    pipeline.publish(SourceBatch.sideOnly(List.of(new SideRecord(SideRecord.Kind.STATE, "room/5",
        new JsonObject().put("room", 5), null))));

    assertThat(p0.batches()).extracting(b -> b.stream().id()).containsExactly(10L, 12L);
    assertThat(p1.batches()).extracting(b -> b.stream().id()).containsExactly(11L);
    assertThat(relay.batches()).hasSize(1);
    assertThat(relay.batches().get(0).stream()).isNull();
    assertThat(router.droppedBatches()).isZero();
  }

  @Test
  @DisplayName("a batch of a partition not owned (a room being stopped) is dropped and counted, never sent elsewhere")
  void dropsUnowned() {
    RecordingSink relay = new RecordingSink();
    RecordingSink p0 = new RecordingSink();
    PartitionedSink router = new PartitionedSink(id -> (int) (id % 2), relay, 1000, new SimpleMeterRegistry());
    router.put(0, p0);
    Pipeline pipeline = new Pipeline(router);
    pipeline.publish(roomBatch(11, 3));
    assertThat(router.droppedBatches()).isEqualTo(1);
    assertThat(relay.batches()).isEmpty();
    assertThat(p0.batches()).isEmpty();

    assertThat(router.remove(0, new RecordingSink())).as("not the partition's sink").isFalse();
    assertThat(router.remove(0, p0)).isTrue();
    pipeline.publish(roomBatch(10, 1));
    assertThat(router.droppedBatches()).isEqualTo(2);
    assertThat(p0.batches()).isEmpty();
  }

  @Test
  @DisplayName("the buffer bound holds across the sinks of every partition and the relay's own")
  void roomAcrossSinks() {
    RecordingSink relay = new RecordingSink();
    RecordingSink p0 = new RecordingSink();
    RecordingSink p1 = new RecordingSink();
    PartitionedSink router = new PartitionedSink(id -> (int) (id % 2), relay, 10, new SimpleMeterRegistry());
    router.put(0, p0);
    router.put(1, p1);
    Pipeline pipeline = new Pipeline(router);
    pipeline.publish(roomBatch(10, 4));
    pipeline.publish(roomBatch(11, 4));
    assertThat(router.bufferedMessages()).isEqualTo(8);
    assertThat(router.hasRoomFor(2)).isTrue();
    assertThat(router.hasRoomFor(3)).isFalse();
    router.remove(1);
    assertThat(router.hasRoomFor(6)).isTrue();
  }

  @Test
  @DisplayName("taking over a partition replaces its rooms' seq by the restored state, and leaves the others alone")
  void resetOnTakeOver() {
    RecordingSink p0 = new RecordingSink();
    RecordingSink p1 = new RecordingSink();
    PartitionedSink router = new PartitionedSink(id -> (int) (id % 2), new RecordingSink(), 1000, new SimpleMeterRegistry());
    router.put(0, p0);
    router.put(1, p1);
    Pipeline pipeline = new Pipeline(router);
    pipeline.publish(roomBatch(10, 5)); // seq 1..5 in memory, never committed (say)
    pipeline.publish(roomBatch(12, 2));
    pipeline.publish(roomBatch(11, 3));
    Map<StreamKey, JsonObject> restored = new HashMap<>();
    restored.put(StreamKey.room(10), new JsonObject().put("seq", 3));
    restored.put(StreamKey.room(11), new JsonObject().put("seq", 1));
    // Partition 0 taken over again: room 10 continues from the committed 3, room 12 (no state) from 0.
    pipeline.reset(s -> Set.of(0).contains((int) (s.id() % 2)), restored);
    assertThat(pipeline.publish(roomBatch(10, 1)).firstSeq()).isEqualTo(4);
    assertThat(pipeline.publish(roomBatch(12, 1)).firstSeq()).isEqualTo(1);
    assertThat(pipeline.publish(roomBatch(11, 1)).firstSeq()).as("partition 1 untouched").isEqualTo(4);
  }
}
