package io.danmakurelay.video;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
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
 *
 * <p>The snapshot (written with every read) packs the ids when all are plain decimal numbers, as dmids are:
 * {@code {"packed_ids":BASE64,"reads":N}}, the base64 of each id's difference to the one before (the first to 0),
 * zigzag-encoded as a varint, oldest first: a few bytes per id where the list of strings took twenty. Ids that are
 * not (a leading zero, past a long) keep the list, {@code {"ids":["..",..],"reads":N}}; both load.
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
    String packed = pack(ids);
    JsonObject snapshot = packed != null ? new JsonObject().put(PACKED, packed)
        : new JsonObject().put(LISTED, new JsonArray(new ArrayList<>(ids)));
    return snapshot.put("reads", reads);
  }

  /** The snapshot field of packed ids, and of the list (every snapshot before packing, and ids that do not pack). */
  static final String PACKED = "packed_ids";
  static final String LISTED = "ids";

  /** A deduper continuing from {@link #snapshot()}, either form; a missing or unreadable state starts empty. */
  public static PartDeduper restore(long cid, JsonObject snapshot) {
    PartDeduper deduper = new PartDeduper(cid);
    if (snapshot == null) {
      return deduper;
    }
    if (snapshot.getValue(PACKED) instanceof String packed) {
      LinkedHashSet<String> restored = unpack(packed);
      if (restored != null) {
        deduper.ids = trim(restored, MAX_IDS);
      }
    } else if (snapshot.getValue(LISTED) instanceof JsonArray list) {
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

  /** The ids packed, or null when one is not a plain decimal long (it would not come back the same). */
  static String pack(Collection<String> ids) {
    byte[] out = new byte[ids.size() * 10];
    int at = 0;
    long previous = 0;
    for (String id : ids) {
      long value = plainDecimal(id);
      if (value < 0) {
        return null;
      }
      long delta = value - previous;
      previous = value;
      long zigzag = (delta << 1) ^ (delta >> 63);
      while ((zigzag & ~0x7FL) != 0) {
        out[at++] = (byte) ((zigzag & 0x7F) | 0x80);
        zigzag >>>= 7;
      }
      out[at++] = (byte) zigzag;
    }
    return Base64.getEncoder().withoutPadding().encodeToString(Arrays.copyOf(out, at));
  }

  /** The ids of {@link #pack}, in order; null when {@code packed} is not what pack writes. */
  static LinkedHashSet<String> unpack(String packed) {
    byte[] in;
    try {
      in = Base64.getDecoder().decode(packed);
    } catch (IllegalArgumentException e) {
      return null;
    }
    LinkedHashSet<String> ids = new LinkedHashSet<>(in.length * 4 / 3 + 16);
    long previous = 0;
    int at = 0;
    while (at < in.length) {
      long zigzag = 0;
      int shift = 0;
      while (true) {
        if (at >= in.length || shift > 63) {
          return null;
        }
        byte b = in[at++];
        zigzag |= (long) (b & 0x7F) << shift;
        shift += 7;
        if (b >= 0) {
          break;
        }
      }
      long value = previous + ((zigzag >>> 1) ^ -(zigzag & 1));
      if (value < 0) {
        return null;
      }
      previous = value;
      ids.add(Long.toString(value));
    }
    return ids;
  }

  /** The value of an id written as a long is written ({@code 0}, or digits without a leading zero), else -1. */
  private static long plainDecimal(String id) {
    int n = id.length();
    if (n == 0 || n > 19 || (id.charAt(0) == '0' && n > 1)) {
      return -1;
    }
    long value = 0;
    for (int i = 0; i < n; i++) {
      char c = id.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
      if (value < 0) {
        // Past Long.MAX_VALUE (only 19 digits can get there).
        return -1;
      }
    }
    return value;
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
