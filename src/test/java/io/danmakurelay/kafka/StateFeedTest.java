package io.danmakurelay.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The state topic's tail that carries the cluster's room list, against a real broker and a topic written here. */
class StateFeedTest {

  /** One change told to the listener; value null for a removal. */
  record Change(String key, JsonObject value) {}

  private static void write(KafkaProducer<String, byte[]> producer, String topic, String key, String value)
      throws Exception {
    producer.beginTransaction();
    producer.send(new ProducerRecord<>(topic, key, value == null ? null : value.getBytes(StandardCharsets.UTF_8)));
    producer.commitTransaction();
  }

  @Test
  @DisplayName("at start it tells only what differs from the state the relay started from, then every committed "
      + "change of the watched prefixes in order, skipping unreadable values and other keys")
  void catchUpThenTail(@TempDir Path dir) throws Exception {
    String topic = "state-feed-test";
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir, 0);
         Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
         KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
             ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
             ProducerConfig.TRANSACTIONAL_ID_CONFIG, "state-feed-test"), new StringSerializer(),
             new ByteArraySerializer())) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
      producer.initTransactions();
      write(producer, topic, "room/1", "{\"room\":1}");
      write(producer, topic, "room/2", "{\"room\":2}");
      write(producer, topic, "room/3", "not json");
      write(producer, topic, "dedupe/1", "{\"seq\":5}");
      write(producer, topic, "room/9", null);
      // An aborted write is never told: the feed reads committed records only.
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, "room/7", "{\"room\":7}".getBytes(StandardCharsets.UTF_8)));
      producer.flush();
      producer.abortTransaction();

      // The relay started knowing room/2 as it is and room/9, which was removed since.
      Map<String, JsonObject> baseline = Map.of("room/2", new JsonObject().put("room", 2),
          "room/9", new JsonObject().put("room", 9), "dedupe/1", new JsonObject().put("seq", 4));
      List<Change> told = new CopyOnWriteArrayList<>();
      try (StateFeed feed = new StateFeed(kafka.bootstrapServers(), topic, List.of("room/"), baseline,
          Duration.ofSeconds(60), (key, value) -> told.add(new Change(key, value)))) {
        feed.start().toCompletableFuture().get(90, TimeUnit.SECONDS);
        assertThat(told).containsExactly(new Change("room/9", null), new Change("room/1", new JsonObject().put("room", 1)));

        write(producer, topic, "room/1", null);
        write(producer, topic, "room/4", "[broken");
        write(producer, topic, "video/av1", "{\"video\":\"av1\"}");
        write(producer, topic, "room/5", "{\"room\":5}");
        Awaitility.await("the tail's changes").atMost(Duration.ofSeconds(60)).until(() -> told.size() >= 4);
        assertThat(told.subList(2, told.size())).containsExactly(new Change("room/1", null),
            new Change("room/5", new JsonObject().put("room", 5)));
      }
    }
  }
}
