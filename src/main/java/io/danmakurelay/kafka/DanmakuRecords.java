package io.danmakurelay.kafka;

import io.danmakurelay.dedupe.FreshMessage;
import io.danmakurelay.upstream.Danmaku;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The record formats of SPEC §4: one danmaku per record, keyed by the real room id so a room keeps its
 * order, plus the relay's own state records (dedupe windows and the followed rooms) in the state topic.
 */
public final class DanmakuRecords {

  public static final String SCHEMA_VERSION = "1";
  private static final String DEDUPE_KEY_PREFIX = "dedupe/";
  private static final String ROOM_KEY_PREFIX = "room/";

  private DanmakuRecords() {}

  /** The record value: the same JSON goes to Kafka and, inside a {@code danmaku} frame, to WebSocket clients. */
  public static JsonObject value(long roomId, FreshMessage message, long fetchedAtMs) {
    Danmaku d = message.danmaku();
    return new JsonObject()
        .put("room_id", roomId)
        .put("id", message.id())
        .put("list", d.list().wireName())
        .put("uid", d.uid())
        .put("nickname", d.nickname())
        .put("text", d.text())
        .put("timeline", d.timeline())
        .put("ts", d.ts())
        .put("fetched_at", fetchedAtMs)
        .put("raw", d.raw());
  }

  public static ProducerRecord<String, byte[]> message(String topic, long roomId, JsonObject value, String source) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(new RecordHeader("source", source.getBytes(StandardCharsets.UTF_8)));
    headers.add(new RecordHeader("schema", SCHEMA_VERSION.getBytes(StandardCharsets.UTF_8)));
    return new ProducerRecord<>(topic, null, Long.toString(roomId), value.toBuffer().getBytes(), headers);
  }

  /** A room's dedupe state, so a restarted relay does not publish the last window again. */
  public static ProducerRecord<String, byte[]> dedupeState(String stateTopic, long roomId, JsonObject snapshot) {
    return new ProducerRecord<>(stateTopic, DEDUPE_KEY_PREFIX + roomId, snapshot.toBuffer().getBytes());
  }

  /** A room followed at run time (null {@code entry}: a tombstone, the room was removed). */
  public static ProducerRecord<String, byte[]> followedRoom(String stateTopic, long requestedId, JsonObject entry) {
    return new ProducerRecord<>(stateTopic, ROOM_KEY_PREFIX + requestedId,
        entry == null ? null : entry.toBuffer().getBytes());
  }

  /** The room id of a dedupe state key, or -1 when the key is not one. */
  public static long dedupeRoom(String key) {
    return idAfter(key, DEDUPE_KEY_PREFIX);
  }

  /** The room id of a followed-room key, or -1 when the key is not one. */
  public static long followedRoom(String key) {
    return idAfter(key, ROOM_KEY_PREFIX);
  }

  private static long idAfter(String key, String prefix) {
    if (key == null || !key.startsWith(prefix)) {
      return -1;
    }
    try {
      return Long.parseLong(key.substring(prefix.length()));
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
