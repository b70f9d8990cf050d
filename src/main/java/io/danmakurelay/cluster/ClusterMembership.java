package io.danmakurelay.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's membership of its cluster (SPEC §8), through Kafka's own group protocol: a consumer on its own
 * thread in group {@code cluster.group}, subscribed to the coordination topic (one partition per share of
 * the rooms, nothing written to it), with the cooperative sticky assignor, so a join or a death moves only
 * the partitions that must move. The {@link Listener} is told, on this thread and before the consumer
 * rejoins, which partitions were assigned, revoked (handed over in order) or lost (taken away: the relay was
 * silent past the session timeout); the group coordinator gives a revoked partition to its new owner only
 * after this relay's listener returned. Answers {@link ClusterView} from the last assignment seen.
 */
public final class ClusterMembership implements ClusterView, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ClusterMembership.class);
  private static final long MEMBERS_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(3);

  /** What the relay does with its partitions; called on the membership thread, may block (bounded). */
  public interface Listener {
    void assigned(Set<Integer> partitions);

    void revoked(Set<Integer> partitions);

    void lost(Set<Integer> partitions);
  }

  /** The partition of a room: by its real id, stable for a given partition count. */
  public static int partitionOf(long realRoomId, int partitions) {
    return Math.floorMod(Long.hashCode(realRoomId), partitions);
  }

  private final String bootstrapServers;
  private final String group;
  private final String instanceId;
  private final String topic;
  private final int partitions;
  private final int sessionTimeoutMs;
  private final Set<Integer> owned = ConcurrentHashMap.newKeySet();
  private final AtomicLong rebalances = new AtomicLong();
  private final AtomicBoolean rejoin = new AtomicBoolean();
  private volatile int generation;
  private volatile List<Member> members = List.of();
  private volatile boolean running = true;
  private volatile Listener listener;
  private final Thread thread;
  private KafkaConsumer<byte[], byte[]> consumer;
  private Admin admin;
  private long membersRefreshedNanos;
  private boolean membersDue = true;

  public ClusterMembership(String bootstrapServers, String group, String instanceId, String topic, int partitions,
      int sessionTimeoutMs) {
    this.bootstrapServers = bootstrapServers;
    this.group = group;
    this.instanceId = instanceId;
    this.topic = topic;
    this.partitions = partitions;
    this.sessionTimeoutMs = sessionTimeoutMs;
    this.thread = new Thread(this::run, "cluster-membership");
    thread.setDaemon(true);
  }

  /**
   * The membership consumer's settings. The heartbeat interval matters beyond liveness: in the classic
   * cooperative protocol a partition that one relay revokes goes to its new owner only in a second rebalance,
   * which the other members learn of from their next heartbeat's answer, so the room has no owner for up to
   * one heartbeat interval. Kafka's default is 3 s; a third of the session timeout (the upper bound Kafka
   * recommends) would be 15 s at the default 45 s session, and a room that moves would go unpolled that long.
   */
  static Map<String, Object> consumerConfig(String bootstrapServers, String group, String instanceId,
      int sessionTimeoutMs) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    // The member's client id is the relay's name: the group description shows it beside each assignment.
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, instanceId);
    config.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
    config.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
    config.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, sessionTimeoutMs);
    config.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, heartbeatIntervalMs(sessionTimeoutMs));
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    return config;
  }

  /** Kafka's default of 3 s, or a third of a shorter session timeout (at least 100 ms). */
  static int heartbeatIntervalMs(int sessionTimeoutMs) {
    return Math.max(100, Math.min(3_000, sessionTimeoutMs / 3));
  }

  /** Joins the group; the listener hears of every assignment from now on. */
  public void start(Listener listener) {
    this.listener = listener;
    Map<String, Object> config = consumerConfig(bootstrapServers, group, instanceId, sessionTimeoutMs);
    consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        AdminClientConfig.CLIENT_ID_CONFIG, instanceId + "-cluster-admin",
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
    thread.start();
  }

  /**
   * Leaves the group and joins it again (a partition's sink failed for good: its partitions are handed over
   * and assigned afresh, which starts new sinks). Any thread.
   */
  public void requestRejoin() {
    if (rejoin.compareAndSet(false, true) && consumer != null) {
      consumer.wakeup();
    }
  }

  private void run() {
    ConsumerRebalanceListener rebalance = new ConsumerRebalanceListener() {
      @Override
      public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
        generation = consumer.groupMetadata().generationId();
        rebalances.incrementAndGet();
        membersDue = true;
        Set<Integer> ids = ids(assigned);
        if (!ids.isEmpty()) {
          log.info("cluster: assigned partitions {} (generation {})", ids, generation);
          listener.assigned(ids);
          owned.addAll(ids);
        }
        log.info("cluster: owning {} of {} partitions: {}", owned.size(), partitions, new TreeSet<>(owned));
      }

      @Override
      public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
        Set<Integer> ids = ids(revoked);
        if (!ids.isEmpty()) {
          owned.removeAll(ids);
          log.info("cluster: handing over partitions {}", ids);
          listener.revoked(ids);
        }
      }

      @Override
      public void onPartitionsLost(Collection<TopicPartition> lost) {
        Set<Integer> ids = ids(lost);
        if (!ids.isEmpty()) {
          owned.removeAll(ids);
          log.warn("cluster: lost partitions {} (this relay was out of the group past its session timeout)", ids);
          listener.lost(ids);
        }
      }
    };
    consumer.subscribe(List.of(topic), rebalance);
    while (running) {
      try {
        if (rejoin.getAndSet(false)) {
          log.warn("cluster: leaving the group to join it again");
          consumer.unsubscribe();
          consumer.subscribe(List.of(topic), rebalance);
        }
        consumer.poll(Duration.ofMillis(500));
        refreshMembers();
      } catch (WakeupException woken) {
        // requestRejoin or close
      } catch (KafkaException | IllegalStateException e) {
        log.warn("cluster: group membership: {}", e.toString());
        sleep(1000);
      } catch (RuntimeException e) {
        log.error("cluster: membership thread", e);
        sleep(1000);
      }
    }
    try {
      // Hands every partition over (onPartitionsRevoked) and leaves the group at once.
      consumer.close(Duration.ofSeconds(30));
    } catch (RuntimeException e) {
      log.warn("cluster: leaving the group: {}", e.toString());
    }
    admin.close(Duration.ofSeconds(2));
  }

  private void refreshMembers() {
    if (!membersDue && System.nanoTime() - membersRefreshedNanos < MEMBERS_REFRESH_NANOS) {
      return;
    }
    membersDue = false;
    membersRefreshedNanos = System.nanoTime();
    try {
      ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group)).describedGroups()
          .get(group).get(10, TimeUnit.SECONDS);
      List<Member> seen = new ArrayList<>();
      for (MemberDescription member : description.members()) {
        List<Integer> ids = new ArrayList<>(ids(member.assignment().topicPartitions()));
        seen.add(new Member(member.clientId(), ids));
      }
      seen.sort(Comparator.comparing(Member::id));
      members = List.copyOf(seen);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException | KafkaException e) {
      log.debug("cluster: describing the group: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Set<Integer> ids(Collection<TopicPartition> partitions) {
    Set<Integer> ids = new TreeSet<>();
    for (TopicPartition tp : partitions) {
      if (tp.topic().equals(topic)) {
        ids.add(tp.partition());
      }
    }
    return ids;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Hands every partition over and leaves the group, waiting at most {@code timeout}. */
  public void close(Duration timeout) {
    running = false;
    if (consumer != null) {
      consumer.wakeup();
      try {
        thread.join(timeout.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(60));
  }

  // ---- ClusterView ----

  @Override
  public boolean enabled() {
    return true;
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
    return generation;
  }

  @Override
  public int partitions() {
    return partitions;
  }

  @Override
  public int partitionOf(long realRoomId) {
    return partitionOf(realRoomId, partitions);
  }

  /**
   * The members as the group coordinator last described them (every few seconds and after each rebalance);
   * this relay's own entry always shows the partitions it owns now.
   */
  @Override
  public List<Member> members() {
    List<Member> out = new ArrayList<>();
    boolean self = false;
    for (Member member : members) {
      if (member.id().equals(instanceId)) {
        self = true;
        out.add(new Member(instanceId, new ArrayList<>(new TreeSet<>(owned))));
      } else {
        out.add(member);
      }
    }
    if (!self) {
      out.add(new Member(instanceId, new ArrayList<>(new TreeSet<>(owned))));
      out.sort(Comparator.comparing(Member::id));
    }
    return out;
  }

  @Override
  public Set<Integer> ownedPartitions() {
    return Set.copyOf(owned);
  }

  @Override
  public long rebalances() {
    return rebalances.get();
  }
}
