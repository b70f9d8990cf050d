package io.danmakurelay.kafka;

import io.danmakurelay.config.RelayConfig;
import io.danmakurelay.pipeline.SequencedBatch;
import io.danmakurelay.pipeline.SideRecord;
import io.danmakurelay.pipeline.SourceItem;
import io.danmakurelay.pipeline.StreamKey;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The Kafka side of SPEC §4: which topic, key and headers each part of a {@link SequencedBatch} gets.
 * Room messages are keyed by the real room id (one room keeps its order; the pipeline put their {@code seq} in);
 * video danmaku are keyed by cid; the stream's state goes to the compacted state topic.
 */
public final class RecordFormat {

  public static final String SCHEMA_VERSION = "1";
  private static final byte[] SCHEMA = SCHEMA_VERSION.getBytes(StandardCharsets.UTF_8);

  /** The header that names the relay (cluster mode: {@code cluster.instanceId}) that wrote a record. */
  public static final String RELAY_HEADER = "relay";

  private final RelayConfig.Kafka topics;
  private final byte[] relay;

  public RecordFormat(RelayConfig.Kafka topics) {
    this(topics, null);
  }

  /** With {@code relayId} (cluster mode), every record carries a {@code relay} header with it. */
  public RecordFormat(RelayConfig.Kafka topics, String relayId) {
    this.topics = topics;
    this.relay = relayId == null ? null : relayId.getBytes(StandardCharsets.UTF_8);
  }

  /** Every record of the batch: messages first, then side records, then the stream's state. */
  public List<ProducerRecord<String, byte[]>> records(SequencedBatch batch) {
    return records(batch, true);
  }

  /**
   * The batch's records, its state record only {@code withState}: a sink that commits several batches of one
   * stream in one transaction needs only the last one's state (the others are superseded before any reader of
   * the compacted state topic can see them), and skips encoding the rest.
   */
  public List<ProducerRecord<String, byte[]>> records(SequencedBatch batch, boolean withState) {
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>(batch.messages() + batch.batch().side().size() + 1);
    StreamKey stream = batch.stream();
    List<SourceItem> items = batch.items();
    JsonEncoder json = new JsonEncoder();
    if (!items.isEmpty()) {
      // One topic, key and source for the whole batch.
      String topic = topicOf(stream);
      String key = Long.toString(stream.id());
      // One list of headers for the batch's records (a video read yields thousands): ProducerRecord copies the
      // headers it is given into a RecordHeaders of its own, so each record still has its own list, which the producer
      // makes read-only on send.
      RecordHeaders headers = new RecordHeaders();
      headers.add(new RecordHeader("source", batch.batch().source().getBytes(StandardCharsets.UTF_8)));
      headers.add(new RecordHeader("schema", SCHEMA));
      addRelay(headers);
      for (SourceItem item : items) {
        records.add(new ProducerRecord<>(topic, null, key, json.encode(item.value()), headers));
      }
    }
    for (SideRecord side : batch.batch().side()) {
      records.add(side(side, json));
    }
    if (withState && stream != null && batch.state() != null) {
      RecordHeaders headers = new RecordHeaders();
      addRelay(headers);
      records.add(new ProducerRecord<>(topics.stateTopic(), null, stream.stateKey(), json.encode(batch.state()),
          headers));
    }
    return records;
  }

  /** The topic a stream's messages go to. */
  public String topicOf(StreamKey stream) {
    return switch (stream.kind()) {
      case ROOM -> topics.topicFor(stream.id());
      case VIDEO_PART -> topics.videoTopic();
    };
  }

  private ProducerRecord<String, byte[]> side(SideRecord side, JsonEncoder json) {
    String topic = switch (side.kind()) {
      case EVENT -> topics.eventsTopic();
      case VIDEO_META -> topics.videoMetaTopic();
      case STATE -> topics.stateTopic();
    };
    RecordHeaders headers = new RecordHeaders();
    if (side.source() != null) {
      headers.add(new RecordHeader("source", side.source().getBytes(StandardCharsets.UTF_8)));
      headers.add(new RecordHeader("schema", SCHEMA));
    }
    addRelay(headers);
    return new ProducerRecord<>(topic, null, side.key(), side.value() == null ? null : json.encode(side.value()),
        headers);
  }

  private void addRelay(RecordHeaders headers) {
    if (relay != null) {
      headers.add(new RecordHeader(RELAY_HEADER, relay));
    }
  }
}
