package io.danmakurelay.cluster;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The cluster's meters (SPEC §6), none with a per-room label: {@code danmaku_cluster_members} and
 * {@code danmaku_cluster_rebalances_total} read the {@link ClusterView} at scrape time;
 * {@code danmaku_rooms_owned} is what the room list last counted as this relay's.
 */
public final class ClusterMetrics {

  private final AtomicLong roomsOwned = new AtomicLong();

  public ClusterMetrics(MeterRegistry registry, ClusterView cluster) {
    Gauge.builder("danmaku.cluster.members", cluster, view -> view.members().size())
        .description("Relays in the cluster's group as this relay last saw it (1 for a single relay)")
        .register(registry);
    Gauge.builder("danmaku.rooms.owned", roomsOwned, AtomicLong::get)
        .description("Followed rooms whose partition this relay owns (it polls or connects them)")
        .register(registry);
    FunctionCounter.builder("danmaku.cluster.rebalances", cluster, ClusterView::rebalances)
        .description("Partition assignments this relay received from the group coordinator")
        .register(registry);
  }

  public void setRoomsOwned(long rooms) {
    roomsOwned.set(rooms);
  }
}
