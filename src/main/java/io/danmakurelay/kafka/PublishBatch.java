package io.danmakurelay.kafka;

import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * What one poll of one room adds to Kafka: its new messages and the room's new dedupe state, written
 * in one transaction so that a crash leaves both or neither.
 *
 * @param roomId          the real room id
 * @param records         message records first, then state records
 * @param messageTimesMs  the upstream time of each message record (for the publish-delay histogram)
 */
public record PublishBatch(long roomId, List<ProducerRecord<String, byte[]>> records, long[] messageTimesMs) {

  public PublishBatch {
    records = List.copyOf(records);
  }

  /** How many of the records are danmaku (the rest are state). */
  public int messages() {
    return messageTimesMs.length;
  }
}
