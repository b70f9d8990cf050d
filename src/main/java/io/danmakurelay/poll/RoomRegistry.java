package io.danmakurelay.poll;

import io.micrometer.core.instrument.Meter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The followed rooms: each as the user asked for it (short or real id), what resolving it found, and its
 * counters for the room API. Finds a room by any of its ids. Plain state, owned by the poll loop's thread.
 */
final class RoomRegistry {

  /** A room as the user asked for it, and what resolving and polling it found. */
  static final class Room {
    final long requestedId;
    long realId;
    long shortId;
    int liveStatus = -1;
    boolean invalid;
    /** The real id came from the state topic, not from a room_init of this run. */
    boolean resolvedFromState;
    String problem;
    int resolveFailures;
    /** Read by the per-room meters at scrape time, so atomic. */
    final AtomicLong gaps = new AtomicLong();
    long duplicates;
    final List<Meter> meters = new ArrayList<>();
    /** The scheduler's interval for this room, mirrored for its gauge (per-room metrics only). */
    AtomicLong intervalMs;

    Room(long requestedId) {
      this.requestedId = requestedId;
    }

    boolean resolved() {
      return realId > 0;
    }
  }

  private final Map<Long, Room> byRequest = new LinkedHashMap<>();
  private final Map<Long, Room> byReal = new HashMap<>();
  private final Map<Long, Room> byShort = new HashMap<>();

  /** The room with this requested, real or short id, or null. */
  Room find(long id) {
    Room room = byRequest.get(id);
    if (room == null) {
      room = byReal.get(id);
    }
    return room != null ? room : byShort.get(id);
  }

  /** The room with this real id, or null. */
  Room byRealId(long realId) {
    return byReal.get(realId);
  }

  /** Adds a room as requested; the caller checked with {@link #find} that it is not followed yet. */
  Room add(long requestedId) {
    Room room = new Room(requestedId);
    byRequest.put(requestedId, room);
    return room;
  }

  /** Whether the entry is still the followed one (a room removed and added again is a new entry). */
  boolean isCurrent(Room room) {
    return byRequest.get(room.requestedId) == room;
  }

  /**
   * Records a room's real and short id. Returns the room already followed under that real id (its short and
   * real ids were both requested), in which case {@code room} is dropped and the caller follows it once.
   */
  Room resolved(Room room, long realId, long shortId) {
    Room twin = byReal.get(realId);
    if (twin != null && twin != room) {
      byRequest.remove(room.requestedId);
      return twin;
    }
    room.realId = realId;
    room.shortId = shortId;
    byReal.put(realId, room);
    if (shortId > 0) {
      byShort.put(shortId, room);
    }
    return null;
  }

  /** Forgets the real id (the upstream says it is no longer that room); the room resolves again. */
  void unresolve(Room room) {
    if (room.realId > 0) {
      byReal.remove(room.realId, room);
    }
    if (room.shortId > 0) {
      byShort.remove(room.shortId, room);
    }
    room.realId = 0;
    room.shortId = 0;
    room.resolvedFromState = false;
  }

  /** Stops following the room; the entry keeps its ids for the caller's answer. */
  void remove(Room room) {
    byRequest.remove(room.requestedId, room);
    if (room.realId > 0) {
      byReal.remove(room.realId, room);
    }
    if (room.shortId > 0) {
      byShort.remove(room.shortId, room);
    }
  }

  Collection<Room> all() {
    return byRequest.values();
  }

  int size() {
    return byRequest.size();
  }
}
