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
  /**
   * The remembered ids as numbers, oldest first, while every one is a plain decimal long (dmids are): no String
   * hashing per read, and the snapshot packed straight from them. Null while {@link #ids} holds them instead.
   */
  private OrderedLongSet numbers = new OrderedLongSet(16);
  /** The remembered ids as strings, oldest first, once one of them is not a plain decimal long; else null. */
  private LinkedHashSet<String> ids;
  /** False for a deduper that keeps strings whatever its ids (the tests' reference for the numeric path). */
  private final boolean numeric;
  private long reads;

  public record Result(List<PoolDanmaku> fresh, int duplicates, boolean gap) {}

  public PartDeduper(long cid) {
    this(cid, true);
  }

  private PartDeduper(long cid, boolean numeric) {
    this.cid = cid;
    this.numeric = numeric;
    if (!numeric) {
      numbers = null;
      ids = new LinkedHashSet<>();
    }
  }

  /** A deduper that keys its state on the ids as strings whatever they are: what the numeric path must equal. */
  static PartDeduper keyedOnStrings(long cid) {
    return new PartDeduper(cid, false);
  }

  public long cid() {
    return cid;
  }

  /** Accepts one read (the current pool or a {@code dmroll} snapshot) in chronological order. */
  public Result accept(Pool pool) {
    if (numbers != null) {
      if (allPlain(pool.danmaku())) {
        return acceptNumbers(pool);
      }
      ids = strings(numbers);
      numbers = null;
    }
    Result result = acceptStrings(pool);
    if (numeric) {
      // Back to numbers once the odd ids have left the state.
      numbers = numbers(ids);
      if (numbers != null) {
        ids = null;
      }
    }
    return result;
  }

  /** {@link #acceptStrings} on the ids as numbers: the same sets in the same order, as plain decimals are one to one. */
  private Result acceptNumbers(Pool pool) {
    List<PoolDanmaku> danmaku = pool.danmaku();
    List<PoolDanmaku> fresh = new ArrayList<>();
    OrderedLongSet thisRead = new OrderedLongSet(danmaku.size());
    int duplicates = 0;
    int shared = 0;
    for (PoolDanmaku d : danmaku) {
      long id = d.dmidValue();
      if (!thisRead.add(id)) {
        duplicates++;
        continue;
      }
      if (numbers.contains(id)) {
        duplicates++;
        shared++;
      } else {
        fresh.add(d);
      }
    }
    boolean gap = reads > 0 && numbers.size() > 0 && thisRead.size() > 0 && shared == 0 && pool.full();
    int capacity = (int) Math.min(MAX_IDS, Math.max(pool.maxLimit(), thisRead.size()));
    if (thisRead.size() >= capacity) {
      numbers = thisRead.newest(capacity);
    } else {
      OrderedLongSet next = new OrderedLongSet(numbers.size() + thisRead.size());
      for (int i = 0; i < numbers.size(); i++) {
        long id = numbers.get(i);
        if (!thisRead.contains(id)) {
          next.add(id);
        }
      }
      for (int i = 0; i < thisRead.size(); i++) {
        next.add(thisRead.get(i));
      }
      numbers = next.newest(capacity);
    }
    reads++;
    return new Result(List.copyOf(fresh), duplicates, gap);
  }

  private static boolean allPlain(List<PoolDanmaku> danmaku) {
    for (PoolDanmaku d : danmaku) {
      if (d.dmidValue() < 0) {
        return false;
      }
    }
    return true;
  }

  private static LinkedHashSet<String> strings(OrderedLongSet numbers) {
    LinkedHashSet<String> strings = new LinkedHashSet<>(numbers.size() * 4 / 3 + 16);
    for (int i = 0; i < numbers.size(); i++) {
      strings.add(Long.toString(numbers.get(i)));
    }
    return strings;
  }

  /** The ids as numbers, in order, or null when one is not a plain decimal long. */
  private static OrderedLongSet numbers(Collection<String> ids) {
    OrderedLongSet numbers = new OrderedLongSet(ids.size());
    for (String id : ids) {
      long value = PoolDanmaku.plainDecimal(id);
      if (value < 0) {
        return null;
      }
      numbers.add(value);
    }
    return numbers;
  }

  private Result acceptStrings(Pool pool) {
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
    return numbers != null ? numbers.size() : ids.size();
  }

  public JsonObject snapshot() {
    String packed = numbers != null ? pack(numbers) : pack(ids);
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
      OrderedLongSet restored = unpackNumbers(packed);
      if (restored != null) {
        deduper.numbers = restored.newest(MAX_IDS);
      }
    } else if (snapshot.getValue(LISTED) instanceof JsonArray list) {
      LinkedHashSet<String> restored = new LinkedHashSet<>();
      for (Object id : list) {
        if (id instanceof String s && !s.isEmpty()) {
          restored.add(s);
        }
      }
      restored = trim(restored, MAX_IDS);
      OrderedLongSet asNumbers = numbers(restored);
      if (asNumbers != null) {
        deduper.numbers = asNumbers;
      } else {
        deduper.numbers = null;
        deduper.ids = restored;
      }
    }
    if (snapshot.getValue("reads") instanceof Number n) {
      deduper.reads = Math.max(0, n.longValue());
    }
    return deduper;
  }

  /** The ids packed, or null when one is not a plain decimal long (it would not come back the same). */
  static String pack(Collection<String> ids) {
    OrderedLongSet numbers = numbers(ids);
    return numbers == null || numbers.size() != ids.size() ? null : pack(numbers);
  }

  /** The numbers packed as {@link #pack(Collection)} packs their decimals. */
  private static String pack(OrderedLongSet numbers) {
    byte[] out = new byte[numbers.size() * 10];
    int at = 0;
    long previous = 0;
    for (int i = 0; i < numbers.size(); i++) {
      long value = numbers.get(i);
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
    OrderedLongSet numbers = unpackNumbers(packed);
    return numbers == null ? null : strings(numbers);
  }

  private static OrderedLongSet unpackNumbers(String packed) {
    byte[] in;
    try {
      in = Base64.getDecoder().decode(packed);
    } catch (IllegalArgumentException e) {
      return null;
    }
    OrderedLongSet ids = new OrderedLongSet(in.length);
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
      ids.add(value);
    }
    return ids;
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
