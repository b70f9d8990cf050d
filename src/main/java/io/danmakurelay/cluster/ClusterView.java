package io.danmakurelay.cluster;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a relay knows of its cluster (SPEC §8): the group, its members and which partitions each holds, and
 * which partition — hence which relay — owns a room. A single relay is a cluster of one that owns every
 * partition ({@link #single}). Implementations are safe to read from any thread; they answer from the last
 * assignment seen and never block on Kafka.
 */
public interface ClusterView {

  /** One relay of the group and the partitions the group coordinator assigned it. */
  record Member(String id, List<Integer> partitions) {
    public Member {
      partitions = List.copyOf(partitions);
    }
  }

  /** Whether {@code cluster.enabled} is set (false: a single relay that owns every room). */
  boolean enabled();

  /** {@code cluster.group}. */
  String group();

  /** This relay's id in the group ({@code cluster.instanceId}, or host name + port). */
  String instanceId();

  /** The group generation of the last assignment this relay saw (0 for a single relay). */
  int generation();

  /** {@code cluster.partitions} (1 for a single relay). */
  int partitions();

  /** The partition a room belongs to, by its real id; stable for the life of the cluster's topics. */
  int partitionOf(long realRoomId);

  /** The members of the group as last seen, this relay included, each with its partitions. */
  List<Member> members();

  /** The partitions this relay owns now. */
  Set<Integer> ownedPartitions();

  /** How many rebalances this relay has taken part in (assignments received). */
  long rebalances();

  /** Whether this relay owns the room now (always true for a single relay). */
  default boolean owns(long realRoomId) {
    return ownedPartitions().contains(partitionOf(realRoomId));
  }

  /** The id of the member that owns the room, if the assignment of its partition is known. */
  default Optional<String> ownerOf(long realRoomId) {
    int partition = partitionOf(realRoomId);
    for (Member member : members()) {
      if (member.partitions().contains(partition)) {
        return Optional.of(member.id());
      }
    }
    return Optional.empty();
  }

  /** A relay on its own: one partition, owned, one member, generation 0. */
  static ClusterView single(String group, String instanceId) {
    Member self = new Member(instanceId, List.of(0));
    return new ClusterView() {
      @Override
      public boolean enabled() {
        return false;
      }

      @Override
      public String group() {
        return group;
      }

      @Override
      public String instanceId() {
        return instanceId;
      }

      @Override
      public int generation() {
        return 0;
      }

      @Override
      public int partitions() {
        return 1;
      }

      @Override
      public int partitionOf(long realRoomId) {
        return 0;
      }

      @Override
      public List<Member> members() {
        return List.of(self);
      }

      @Override
      public Set<Integer> ownedPartitions() {
        return Set.of(0);
      }

      @Override
      public long rebalances() {
        return 0;
      }
    };
  }
}
