package io.danmakurelay.sim;

import java.util.HashMap;
import java.util.Map;

/**
 * Faults ordered by tests: the next K poll answers of one room (or of any room) go wrong in a given
 * way. A room's own order is used before the any-room one. Thread-safe.
 */
final class FaultPlan {

  private final Map<Long, Pending> perRoom = new HashMap<>();
  private Pending anyRoom;
  private long served;

  private static final class Pending {
    final FaultMode mode;
    int remaining;

    Pending(FaultMode mode, int remaining) {
      this.mode = mode;
      this.remaining = remaining;
    }
  }

  /** Replaces any earlier order for the same target; {@code room} null means any room. */
  synchronized void order(Long room, FaultMode mode, int count) {
    Pending p = count > 0 ? new Pending(mode, count) : null;
    if (room == null) {
      anyRoom = p;
    } else if (p == null) {
      perRoom.remove(room);
    } else {
      perRoom.put(room, p);
    }
  }

  /** The fault to apply to this poll of {@code room}, consuming one, or null for a normal answer. */
  synchronized FaultMode take(long room) {
    Pending own = perRoom.get(room);
    if (own != null) {
      if (--own.remaining == 0) {
        perRoom.remove(room);
      }
      served++;
      return own.mode;
    }
    if (anyRoom != null) {
      FaultMode mode = anyRoom.mode;
      if (--anyRoom.remaining == 0) {
        anyRoom = null;
      }
      served++;
      return mode;
    }
    return null;
  }

  synchronized long served() {
    return served;
  }

  synchronized int pending() {
    int n = anyRoom == null ? 0 : anyRoom.remaining;
    for (Pending p : perRoom.values()) {
      n += p.remaining;
    }
    return n;
  }
}
