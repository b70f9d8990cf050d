package io.danmakurelay.video;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Turns successive reads of one part's pool (and of its history, read oldest first) into danmaku never
 * published before: each {@code dmid} once. A pool keeps its newest {@code maxlimit} danmaku, so an id that
 * left it never comes back, and the ids of the last read are all that must be remembered: the state is a
 * pool's worth of ids, not every id ever seen. While the pool is not full nothing leaves it, so ids a read
 * lacks (deleted, or served by a lagging replica) are kept up to that bound, lest they come back as new.
 *
 * <p>A re-read of a full pool that shares nothing with the last read is a gap: more danmaku arrived between
 * the two reads than the pool holds, and some were never seen.
 */
public final class PartDeduper {

  /** A safety bound on remembered ids whatever {@code maxlimit} a pool claims. */
  static final int MAX_IDS = 100_000;

  private final long cid;
  private LinkedHashSet<String> ids = new LinkedHashSet<>();
  private long reads;

  public record Result(List<PoolDanmaku> fresh, int duplicates, boolean gap) {}

  public PartDeduper(long cid) {
    this.cid = cid;
  }

  public long cid() {
    return cid;
  }

  /** Accepts one read (the current pool or a {@code dmroll} snapshot) in chronological order. */
  public Result accept(Pool pool) {
    List<PoolDanmaku> fresh = new ArrayList<>();
    LinkedHashSet<String> thisRead = new LinkedHashSet<>(pool.danmaku().size() * 4 / 3 + 16);
    int duplicates = 0;
    int shared = 0;
    for (PoolDanmaku d : pool.danmaku()) {
      if (!thisRead.add(d.dmid())) {
        duplicates++;
        continue;
      }
      if (ids.contains(d.dmid())) {
        duplicates++;
        shared++;
      } else {
        fresh.add(d);
      }
    }
    boolean gap = reads > 0 && !ids.isEmpty() && !thisRead.isEmpty() && shared == 0 && pool.full();
    int capacity = (int) Math.min(MAX_IDS, Math.max(pool.maxLimit(), thisRead.size()));
    if (thisRead.size() >= capacity) {
      // A full read: the pool holds nothing older, so its ids are all there is to remember.
      ids = trim(thisRead, capacity);
    } else {
      LinkedHashSet<String> next = new LinkedHashSet<>();
      // Oldest first, so that trimming below drops the oldest: ids kept from before, then this read's.
      for (String id : ids) {
        if (!thisRead.contains(id)) {
          next.add(id);
        }
      }
      next.addAll(thisRead);
      ids = trim(next, capacity);
    }
    reads++;
    return new Result(List.copyOf(fresh), duplicates, gap);
  }

  public int rememberedIds() {
    return ids.size();
  }

  public JsonObject snapshot() {
    return new JsonObject().put("ids", new JsonArray(new ArrayList<>(ids))).put("reads", reads);
  }

  /** A deduper continuing from {@link #snapshot()}; a missing or unreadable state starts empty. */
  public static PartDeduper restore(long cid, JsonObject snapshot) {
    PartDeduper deduper = new PartDeduper(cid);
    if (snapshot == null) {
      return deduper;
    }
    if (snapshot.getValue("ids") instanceof JsonArray list) {
      LinkedHashSet<String> restored = new LinkedHashSet<>();
      for (Object id : list) {
        if (id instanceof String s && !s.isEmpty()) {
          restored.add(s);
        }
      }
      deduper.ids = trim(restored, MAX_IDS);
    }
    if (snapshot.getValue("reads") instanceof Number n) {
      deduper.reads = Math.max(0, n.longValue());
    }
    return deduper;
  }

  private static LinkedHashSet<String> trim(LinkedHashSet<String> ids, int capacity) {
    if (ids.size() <= capacity) {
      return ids;
    }
    LinkedHashSet<String> kept = new LinkedHashSet<>();
    int skip = ids.size() - capacity;
    for (String id : ids) {
      if (skip > 0) {
        skip--;
      } else {
        kept.add(id);
      }
    }
    return kept;
  }
}
