package io.danmakurelay.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ClusterMembershipTest {

  @Test
  @DisplayName("the membership consumer heartbeats every 3 s at the default 45 s session (a moving room waits at "
      + "most one heartbeat for its new owner), a third of a shorter session, never below 100 ms")
  void heartbeat() {
    Map<String, Object> config = ClusterMembership.consumerConfig("localhost:9092", "g", "relay-a", 45_000);
    assertThat(config).containsEntry(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 3_000)
        .containsEntry(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 45_000)
        .containsEntry(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic")
        .containsEntry(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName())
        .containsEntry(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    assertThat(ClusterMembership.heartbeatIntervalMs(6_000)).isEqualTo(2_000);
    assertThat(ClusterMembership.heartbeatIntervalMs(1_000)).isEqualTo(333);
    assertThat(ClusterMembership.heartbeatIntervalMs(3_600_000)).isEqualTo(3_000);
    assertThat(ClusterMembership.heartbeatIntervalMs(200)).isEqualTo(100);
  }
}
