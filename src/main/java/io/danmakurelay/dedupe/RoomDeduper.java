package io.danmakurelay.dedupe;

import io.danmakurelay.upstream.DanmakuList;
import io.danmakurelay.upstream.PollResult;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns one room's overlapping poll windows into new messages, each exactly once. Pure logic, bounded
 * state (a few windows per list); the room and admin lists are aligned separately (see {@link ListDeduper}
 * for the alignment and its reasoning). Not thread-safe: one room's answers are handled one at a time.
 */
public final class RoomDeduper {

  private static final int SNAPSHOT_VERSION = 1;

  private final long roomId;
  private final ListDeduper room;
  private final ListDeduper admin;

  public RoomDeduper(long roomId) {
    this.roomId = roomId;
    Fingerprints fingerprints = new Fingerprints();
    this.room = new ListDeduper(roomId, fingerprints);
    this.admin = new ListDeduper(roomId, fingerprints);
  }

  /** Aligns both lists of the answer with what was seen before and returns what is new. */
  public DedupeResult accept(PollResult.Success answer) {
    ListDeduper.Outcome rooms = room.accept(answer.room());
    ListDeduper.Outcome admins = admin.accept(answer.admin());
    List<FreshMessage> fresh = new ArrayList<>(rooms.fresh().size() + admins.fresh().size());
    fresh.addAll(rooms.fresh());
    fresh.addAll(admins.fresh());
    return new DedupeResult(fresh, rooms.duplicates() + admins.duplicates(), rooms.gap() || admins.gap());
  }

  /**
   * The state needed to go on after a restart without re-publishing (small JSON, about 4.5 KB for two
   * busy lists): {@code {"version":1,"room_id":N,"room":{..},"admin":{..}}}, each list holding its last
   * window size, oldest second, retained fingerprints and legacy id counters. Opaque to callers.
   */
  public JsonObject snapshot() {
    return new JsonObject()
        .put("version", SNAPSHOT_VERSION)
        .put("room_id", roomId)
        .put(DanmakuList.ROOM.wireName(), room.snapshot())
        .put(DanmakuList.ADMIN.wireName(), admin.snapshot());
  }

  /** Rebuilds a deduper from {@link #snapshot()}; a malformed snapshot gives a fresh deduper. */
  public static RoomDeduper restore(long roomId, JsonObject snapshot) {
    RoomDeduper deduper = new RoomDeduper(roomId);
    if (snapshot == null) {
      return deduper;
    }
    try {
      if (!(snapshot.getValue("version") instanceof Number version)
          || version.longValue() != SNAPSHOT_VERSION
          || !(snapshot.getValue("room_id") instanceof Number id)
          || id.longValue() != roomId
          || !(snapshot.getValue(DanmakuList.ROOM.wireName()) instanceof JsonObject rooms)
          || !(snapshot.getValue(DanmakuList.ADMIN.wireName()) instanceof JsonObject admins)) {
        return deduper;
      }
      deduper.room.restore(rooms);
      deduper.admin.restore(admins);
      return deduper;
    } catch (RuntimeException e) {
      // A half-loaded state could re-publish or swallow messages: start clean instead.
      return new RoomDeduper(roomId);
    }
  }

  /** Items retained across both lists (for tests of the state bound). */
  int retainedItems() {
    return room.retainedItems() + admin.retainedItems();
  }

  /** Legacy id occurrence counters across both lists (for tests of the state bound). */
  int occurrenceCounters() {
    return room.occurrenceCounters() + admin.occurrenceCounters();
  }
}
