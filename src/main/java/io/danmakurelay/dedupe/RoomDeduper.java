package io.danmakurelay.dedupe;

import io.danmakurelay.upstream.Danmaku;
import io.danmakurelay.upstream.DanmakuList;
import io.danmakurelay.upstream.PollResult;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns one room's overlapping poll windows and pushed messages into new messages, each exactly once.
 * Pure logic, bounded state (a few windows per list, and the last {@value PublishedIds#CAPACITY}
 * published {@code id_str}s per list); the room and admin lists are aligned separately (see
 * {@link ListDeduper} for the alignment and its reasoning). Across sources (SPEC §4) a message is keyed on
 * its {@code id_str}, the same in {@code gethistory} and in push: whichever source sees it first
 * publishes it. Not thread-safe: one room's answers and pushed messages are handled one at a time.
 */
public final class RoomDeduper {

  /** Version 2 adds the published ids; version 1 (poll only) is still read. */
  private static final int SNAPSHOT_VERSION = 2;
  private static final String IDS = "ids";

  private final long roomId;
  private final ListDeduper room;
  private final ListDeduper admin;
  private final PublishedIds roomIds = new PublishedIds();
  private final PublishedIds adminIds = new PublishedIds();

  public RoomDeduper(long roomId) {
    this.roomId = roomId;
    Fingerprints fingerprints = new Fingerprints();
    this.room = new ListDeduper(roomId, fingerprints);
    this.admin = new ListDeduper(roomId, fingerprints);
  }

  /**
   * Aligns both lists of the answer with what was seen before and returns what is new: new to the poll
   * windows and, for items with an {@code id_str}, not already published from push.
   */
  public DedupeResult accept(PollResult.Success answer) {
    ListDeduper.Outcome rooms = room.accept(answer.room());
    ListDeduper.Outcome admins = admin.accept(answer.admin());
    List<FreshMessage> fresh = new ArrayList<>(rooms.fresh().size() + admins.fresh().size());
    int pushedBefore = 0;
    boolean roomsOverlap = overlapsPublished(answer.room());
    boolean adminsOverlap = overlapsPublished(answer.admin());
    pushedBefore += keepUnpublished(rooms.fresh(), roomIds, fresh);
    pushedBefore += keepUnpublished(admins.fresh(), adminIds, fresh);
    // A window that looks all new to the poll alignment but holds messages push published is no gap:
    // push covered the stretch between this poll and the one before.
    boolean gap = (rooms.gap() && !roomsOverlap) || (admins.gap() && !adminsOverlap);
    return new DedupeResult(fresh, rooms.duplicates() + admins.duplicates() + pushedBefore, gap);
  }

  /**
   * A message from the push stream: the fresh message to publish, or empty when this room's stream has
   * published its {@code id_str} already (from either source). A pushed message without an id is refused:
   * without the key it could be published twice (the push decoder never yields one).
   */
  public java.util.Optional<FreshMessage> acceptPushed(Danmaku pushed) {
    String id = pushed.idStr();
    if (id == null || id.isEmpty()) {
      return java.util.Optional.empty();
    }
    if (published(id)) {
      return java.util.Optional.empty();
    }
    (pushed.list() == DanmakuList.ADMIN ? adminIds : roomIds).add(id);
    return java.util.Optional.of(new FreshMessage(pushed, id));
  }

  /** Whether either list's stream published the id (a message's list is the same from both sources). */
  private boolean published(String id) {
    return roomIds.contains(id) || adminIds.contains(id);
  }

  /** Adds the poll's fresh messages that push did not publish; returns how many it dropped. */
  private int keepUnpublished(List<FreshMessage> candidates, PublishedIds ids, List<FreshMessage> out) {
    int dropped = 0;
    for (FreshMessage m : candidates) {
      String id = m.danmaku().idStr();
      if (id == null) {
        out.add(m);
      } else if (!published(id)) {
        ids.add(id);
        out.add(m);
      } else {
        dropped++;
      }
    }
    return dropped;
  }

  /** Whether the window holds a message published before this answer (call before adding its ids). */
  private boolean overlapsPublished(List<Danmaku> window) {
    for (Danmaku d : window) {
      if (d.idStr() != null && published(d.idStr())) {
        return true;
      }
    }
    return false;
  }

  /**
   * The state needed to go on after a restart without re-publishing (small JSON, about 4.5 KB for two
   * busy lists, plus up to 2 x 128 ids): {@code {"version":2,"room_id":N,"room":{..},"admin":{..},
   * "ids":{"room":[..],"admin":[..]}}}, each list holding its last window size, oldest second, retained
   * fingerprints and legacy id counters. Opaque to callers.
   */
  public JsonObject snapshot() {
    return new JsonObject()
        .put("version", SNAPSHOT_VERSION)
        .put("room_id", roomId)
        .put(DanmakuList.ROOM.wireName(), room.snapshot())
        .put(DanmakuList.ADMIN.wireName(), admin.snapshot())
        .put(IDS, new JsonObject()
            .put(DanmakuList.ROOM.wireName(), roomIds.snapshot())
            .put(DanmakuList.ADMIN.wireName(), adminIds.snapshot()));
  }

  /** Rebuilds a deduper from {@link #snapshot()}; a malformed snapshot gives a fresh deduper. */
  public static RoomDeduper restore(long roomId, JsonObject snapshot) {
    RoomDeduper deduper = new RoomDeduper(roomId);
    if (snapshot == null) {
      return deduper;
    }
    try {
      if (!(snapshot.getValue("version") instanceof Number version)
          || (version.longValue() != 1 && version.longValue() != SNAPSHOT_VERSION)
          || !(snapshot.getValue("room_id") instanceof Number id)
          || id.longValue() != roomId
          || !(snapshot.getValue(DanmakuList.ROOM.wireName()) instanceof JsonObject rooms)
          || !(snapshot.getValue(DanmakuList.ADMIN.wireName()) instanceof JsonObject admins)) {
        return deduper;
      }
      deduper.room.restore(rooms);
      deduper.admin.restore(admins);
      if (version.longValue() == SNAPSHOT_VERSION) {
        if (!(snapshot.getValue(IDS) instanceof JsonObject ids)
            || !(ids.getValue(DanmakuList.ROOM.wireName()) instanceof io.vertx.core.json.JsonArray roomList)
            || !(ids.getValue(DanmakuList.ADMIN.wireName()) instanceof io.vertx.core.json.JsonArray adminList)) {
          return new RoomDeduper(roomId);
        }
        deduper.roomIds.restore(roomList);
        deduper.adminIds.restore(adminList);
      } else {
        // A version-1 snapshot knew only poll windows: its retained ids are the ones published.
        deduper.seedIdsFromWindows();
      }
      return deduper;
    } catch (RuntimeException e) {
      // A half-loaded state could re-publish or swallow messages: start clean instead.
      return new RoomDeduper(roomId);
    }
  }

  private void seedIdsFromWindows() {
    room.retainedIds().forEach(roomIds::add);
    admin.retainedIds().forEach(adminIds::add);
  }

  /** Published ids remembered across both lists (for tests of the state bound). */
  int publishedIds() {
    return roomIds.size() + adminIds.size();
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
