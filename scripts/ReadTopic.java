import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Prints the records of a topic (read_committed, from the beginning) with their key and headers: a Kafka
 * client for machines without the Kafka CLI. Run with the relay jar on the class path:
 *   java -cp target/danmaku-relay.jar scripts/ReadTopic.java [BOOTSTRAP] [TOPIC] [SECONDS]
 * Exits 0 when it read at least one record, 1 otherwise.
 */
public class ReadTopic {
  public static void main(String[] args) {
    String bootstrap = args.length > 0 ? args[0] : "127.0.0.1:9092";
    String topic = args.length > 1 ? args[1] : "danmaku";
    long seconds = args.length > 2 ? Long.parseLong(args[2]) : 10;
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    props.put("group.id", "read-topic-" + System.nanoTime());
    props.put("auto.offset.reset", "earliest");
    props.put("isolation.level", "read_committed");
    int count = 0;
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      long end = System.currentTimeMillis() + seconds * 1000;
      while (System.currentTimeMillis() < end) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
          StringBuilder headers = new StringBuilder();
          r.headers().forEach(h -> headers.append(h.key()).append('=').append(new String(h.value())).append(' '));
          System.out.println("key=" + r.key() + " " + headers + r.value());
          count++;
        }
      }
    }
    System.err.println(count + " records read from " + topic + " at " + bootstrap);
    System.exit(count > 0 ? 0 : 1);
  }
}
