package io.danmakurelay.pipeline;

import java.util.AbstractMap;
import java.util.Set;

/**
 * A video part's danmaku as its record value (SPEC §4, {@code kafka.videoTopic}): the part's {@link FieldMap.Head head}
 * ({@code cid}, {@code aid}, {@code bvid}, {@code page}, shared by a read's thousands of values), then {@code id},
 * {@code progress_ms}, {@code mode}, {@code fontsize}, {@code color}, {@code ctime}, {@code pool}, {@code sender_hash},
 * {@code text}, {@code fetched_at} and {@code raw} (the {@code p} attribute as received), in that order. One object per
 * danmaku holding the fields as the parser read them (numbers unboxed; the id and sender hash as where they stand in
 * {@code raw} when they were read from it), which the sink's encoder ({@code kafka.JsonEncoder}) writes straight from
 * them: no map, boxes or substrings per value, the objects a pool's worth of values cost most.
 *
 * <p>As a {@code Map} (what a {@code JsonObject} around it reads and writes, and whatever else reads it as one) it is
 * the {@link FieldMap} of those fields on the part's head, built on first use and used from then on: it holds Strings
 * and boxed numbers like any other record value, may be changed like one, and the encoder then encodes that map
 * instead (the same bytes while nothing changed). Not thread-safe, like the {@code JsonObject} that wraps it.
 */
public final class VideoDanmakuValue extends AbstractMap<String, Object> {

  /** The names of the value's fields, in order: the part's head, then the danmaku's own. */
  public static final FieldMap.Shape SHAPE = new FieldMap.Shape("cid", "aid", "bvid", "page", "id", "progress_ms",
      "mode", "fontsize", "color", "ctime", "pool", "sender_hash", "text", "fetched_at", "raw");

  /** How many of {@link #SHAPE}'s names are the part's head. */
  public static final int HEAD_SIZE = 4;

  private final FieldMap.Head part;
  private final String raw;
  /** The id as a String, or null when it is {@code raw[dmidFrom, dmidTo)} (digits). */
  private final String dmid;
  private final int dmidFrom;
  private final int dmidTo;
  /** The sender hash as a String, or null when it is {@code raw[hashFrom, hashTo)}. */
  private final String senderHash;
  private final int hashFrom;
  private final int hashTo;
  private final boolean plainRaw;
  private final long progressMs;
  private final int mode;
  private final int fontsize;
  private final long color;
  private final long ctime;
  private final int pool;
  private final String text;
  private final long fetchedAt;
  /** The map of the fields once anything read or wrote this value as a map, else null. */
  private FieldMap fields;

  private VideoDanmakuValue(FieldMap.Head part, String dmid, int dmidFrom, int dmidTo, long progressMs, int mode,
      int fontsize, long color, long ctime, int pool, String senderHash, int hashFrom, int hashTo, String text,
      long fetchedAt, String raw, boolean plainRaw) {
    if (part.size() != HEAD_SIZE) {
      throw new IllegalArgumentException("a video part's head has " + HEAD_SIZE + " fields, not " + part.size());
    }
    SHAPE.requireStartsWith(part);
    this.part = part;
    this.dmid = dmid;
    this.dmidFrom = dmidFrom;
    this.dmidTo = dmidTo;
    this.progressMs = progressMs;
    this.mode = mode;
    this.fontsize = fontsize;
    this.color = color;
    this.ctime = ctime;
    this.pool = pool;
    this.senderHash = senderHash;
    this.hashFrom = hashFrom;
    this.hashTo = hashTo;
    this.text = text;
    this.fetchedAt = fetchedAt;
    this.raw = raw;
    this.plainRaw = plainRaw;
  }

  /** A value of these fields as they are. */
  public static VideoDanmakuValue of(FieldMap.Head part, String dmid, long progressMs, int mode, int fontsize,
      long color, long ctime, int pool, String senderHash, String text, long fetchedAt, String raw) {
    return new VideoDanmakuValue(part, java.util.Objects.requireNonNull(dmid, "dmid"), 0, 0, progressMs, mode,
        fontsize, color, ctime, pool, java.util.Objects.requireNonNull(senderHash, "senderHash"), 0, 0, text,
        fetchedAt, java.util.Objects.requireNonNull(raw, "raw"), false);
  }

  /**
   * A parsed pool's danmaku: its id at {@code raw[dmidFrom, dmidTo)}, which the caller checked is digits, its sender
   * hash at {@code raw[hashFrom, hashTo)}; {@code plainRaw}: the caller checked that every character of {@code raw} is
   * within {@code 0x20..0x7F} and neither {@code "} nor {@code \} (not checked again: that pass is what it saves; a
   * value that breaks either promise is encoded wrongly), so the encoder copies it as bytes.
   */
  public static VideoDanmakuValue inRaw(FieldMap.Head part, String raw, int dmidFrom, int dmidTo, long progressMs,
      int mode, int fontsize, long color, long ctime, int pool, int hashFrom, int hashTo, String text, long fetchedAt,
      boolean plainRaw) {
    java.util.Objects.checkFromToIndex(dmidFrom, dmidTo, raw.length());
    java.util.Objects.checkFromToIndex(hashFrom, hashTo, raw.length());
    return new VideoDanmakuValue(part, null, dmidFrom, dmidTo, progressMs, mode, fontsize, color, ctime, pool, null,
        hashFrom, hashTo, text, fetchedAt, raw, plainRaw);
  }

  // ---- the fields, for the encoder ----

  public FieldMap.Head part() {
    return part;
  }

  /**
   * The map this value became when something used it as one, or null while nothing did: then the fields below are
   * the value, else that map is (it may have been changed).
   */
  public FieldMap builtFields() {
    return fields;
  }

  /** The {@code p} attribute as received. */
  public String raw() {
    return raw;
  }

  /** Whether the maker promised every character of {@link #raw()} is printable ASCII that JSON writes as it is. */
  public boolean plainRaw() {
    return plainRaw;
  }

  /** The id as a String, or null when it is {@link #raw()}{@code [dmidFrom, dmidTo)}. */
  public String dmidString() {
    return dmid;
  }

  public int dmidFrom() {
    return dmidFrom;
  }

  public int dmidTo() {
    return dmidTo;
  }

  /** The sender hash as a String, or null when it is {@link #raw()}{@code [hashFrom, hashTo)}. */
  public String senderHashString() {
    return senderHash;
  }

  public int hashFrom() {
    return hashFrom;
  }

  public int hashTo() {
    return hashTo;
  }

  public long progressMs() {
    return progressMs;
  }

  public int mode() {
    return mode;
  }

  public int fontsize() {
    return fontsize;
  }

  public long color() {
    return color;
  }

  public long ctime() {
    return ctime;
  }

  public int pool() {
    return pool;
  }

  public String text() {
    return text;
  }

  public long fetchedAt() {
    return fetchedAt;
  }

  // ---- the map ----

  /** This value as a map: the fields on the part's head, built now unless something used it as a map before. */
  public FieldMap asFieldMap() {
    return fields();
  }

  private FieldMap fields() {
    if (fields == null) {
      Object[] values = new Object[SHAPE.size()];
      values[4] = dmid != null ? dmid : raw.substring(dmidFrom, dmidTo);
      values[5] = progressMs;
      values[6] = mode;
      values[7] = fontsize;
      values[8] = color;
      values[9] = ctime;
      values[10] = pool;
      values[11] = senderHash != null ? senderHash : raw.substring(hashFrom, hashTo);
      values[12] = text;
      values[13] = fetchedAt;
      values[14] = raw;
      fields = new FieldMap(SHAPE, part, values);
    }
    return fields;
  }

  @Override
  public int size() {
    return fields == null ? SHAPE.size() : fields.size();
  }

  @Override
  public boolean containsKey(Object name) {
    return fields().containsKey(name);
  }

  @Override
  public Object get(Object name) {
    return fields().get(name);
  }

  @Override
  public Object put(String name, Object value) {
    return fields().put(name, value);
  }

  @Override
  public Object remove(Object name) {
    return fields().remove(name);
  }

  @Override
  public void clear() {
    fields().clear();
  }

  @Override
  public Set<Entry<String, Object>> entrySet() {
    return fields().entrySet();
  }
}
