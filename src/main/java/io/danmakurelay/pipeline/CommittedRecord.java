package io.danmakurelay.pipeline;

/**
 * A record as read back from Kafka after its transaction committed, for the readers of the pipeline (the
 * WebSocket fan-out): a room's numbered message or one of its events, with its value exactly as stored.
 *
 * @param kind   a room's danmaku ({@code kafka.topic}) or event ({@code kafka.eventsTopic})
 * @param roomId the real room id (the record key)
 * @param seq    the message's durable {@code seq} from its value; 0 for an event
 * @param value  the record value, UTF-8 JSON, valid and never changed after construction
 */
public record CommittedRecord(Kind kind, long roomId, long seq, byte[] value) {

  public enum Kind {
    DANMAKU,
    EVENT
  }
}
