package io.danmakurelay.pipeline;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;

/**
 * The map behind a record value built field by field (a video pool yields thousands per read): names and values
 * in two arrays, in insertion order, looked up by a scan (a value has a handful of fields). Far fewer objects
 * than a {@code LinkedHashMap} (no entry per field), which is what a pool's worth of values costs most. Not
 * thread-safe, like the {@code JsonObject} that wraps it; {@code null} values are kept, as JSON nulls.
 * {@code JsonObject.copy()} of a value backed by it is a {@code HashMap} (Vert.x keeps order only when copying a
 * {@code LinkedHashMap}): the relay never copies a record value, it encodes it ({@code kafka.JsonEncoder}).
 *
 * <p>A map built on a {@link Head} starts with the head's fields (a video part's cid, aid, bvid and page, the same
 * in every danmaku of a read) and says so through {@link #head()} until one of them changes, so that an encoder may
 * encode those fields once for all the values that share the head.
 */
public final class FieldMap extends AbstractMap<String, Object> {

  /** Leading fields that many values share, fixed once built. */
  public static final class Head {
    private final String[] names;
    private final Object[] values;

    /** The fields of {@code fields}, in their order. */
    public Head(FieldMap fields) {
      names = Arrays.copyOf(fields.names, fields.size);
      values = Arrays.copyOf(fields.values, fields.size);
    }

    public int size() {
      return names.length;
    }

    public String nameAt(int i) {
      return names[i];
    }

    public Object valueAt(int i) {
      return values[i];
    }
  }

  /**
   * The names of values built alike (a video pool's danmaku), fixed once built: maps made on one share its name
   * and hash arrays instead of filling their own.
   */
  public static final class Shape {
    private final String[] names;
    private final int[] hashes;
    /**
     * The last head found to start with this shape's names. Shapes are shared between threads: a thread that sees
     * an older head here only checks its own again (a head is immutable, its fields final).
     */
    private Head checkedHead;

    public Shape(String... names) {
      this.names = names.clone();
      hashes = new int[names.length];
      for (int i = 0; i < names.length; i++) {
        hashes[i] = Objects.requireNonNull(names[i], "name").hashCode();
      }
    }

    public int size() {
      return names.length;
    }

    public String nameAt(int i) {
      return names[i];
    }

    /**
     * Refuses a head whose names are not this shape's first ones; checked once per shape and head (a read's thousands
     * of values share both), not per value.
     */
    public void requireStartsWith(Head head) {
      if (checkedHead == head) {
        return;
      }
      if (head.size() > names.length) {
        throw new IllegalArgumentException("the head has more fields than the shape");
      }
      for (int i = 0; i < head.size(); i++) {
        if (!head.names[i].equals(names[i])) {
          throw new IllegalArgumentException("the shape does not start with the head's names");
        }
      }
      checkedHead = head;
    }
  }

  /** The head this map still starts with unchanged, or null. */
  private Head head;
  /** Whether {@link #names} and {@link #hashes} are a {@link Shape}'s, to be copied before either is written. */
  private boolean sharedNames;
  private String[] names;
  /** Each name's hash (a String caches its own): a scan compares ints, and equals only on a match. */
  private int[] hashes;
  private Object[] values;
  private int size;

  public FieldMap(int capacity) {
    names = new String[Math.max(4, capacity)];
    hashes = new int[names.length];
    values = new Object[names.length];
  }

  /** A map starting with the fields of {@code head}, with room for {@code capacity} fields in all. */
  public FieldMap(Head head, int capacity) {
    this(Math.max(capacity, head.size()));
    for (int i = 0; i < head.size(); i++) {
      append(head.names[i], head.values[i]);
    }
    this.head = head;
  }

  /**
   * A map with {@code shape}'s names, starting with {@code head}'s fields (the shape's first names must be the
   * head's), and {@code values} as its values: the array becomes the map's; its first {@code head.size()} entries are
   * set here from the head, the rest are the caller's, in the shape's order.
   */
  public FieldMap(Shape shape, Head head, Object[] values) {
    if (values.length != shape.size()) {
      throw new IllegalArgumentException("values do not fit the shape");
    }
    shape.requireStartsWith(head);
    System.arraycopy(head.values, 0, values, 0, head.size());
    names = shape.names;
    hashes = shape.hashes;
    this.values = values;
    size = values.length;
    sharedNames = true;
    this.head = head;
  }

  private void unshare() {
    if (sharedNames) {
      names = names.clone();
      hashes = hashes.clone();
      sharedNames = false;
    }
  }

  /**
   * The head whose fields this map starts with, unchanged ({@link #size()} may hold more after them), or null when
   * it was built without one or one of those fields changed since.
   */
  public Head head() {
    return head;
  }

  private void touched(int i) {
    if (head != null && i < head.size()) {
      head = null;
    }
  }

  @Override
  public int size() {
    return size;
  }

  /** The name of field {@code i}, in insertion order (for encoders that walk the fields without entries). */
  public String nameAt(int i) {
    Objects.checkIndex(i, size);
    return names[i];
  }

  public Object valueAt(int i) {
    Objects.checkIndex(i, size);
    return values[i];
  }

  private int indexOf(Object name) {
    if (name == null) {
      return -1;
    }
    int hash = name.hashCode();
    for (int i = 0; i < size; i++) {
      if (hashes[i] == hash && (names[i] == name || names[i].equals(name))) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public boolean containsKey(Object name) {
    return indexOf(name) >= 0;
  }

  @Override
  public Object get(Object name) {
    int i = indexOf(name);
    return i < 0 ? null : values[i];
  }

  @Override
  public Object put(String name, Object value) {
    Objects.requireNonNull(name, "name");
    int i = indexOf(name);
    if (i >= 0) {
      touched(i);
      Object old = values[i];
      values[i] = value;
      return old;
    }
    append(name, value);
    return null;
  }

  /**
   * Adds a field the map does not hold yet, without looking for it (for builders whose names are distinct
   * constants); returns this map.
   */
  public FieldMap append(String name, Object value) {
    Objects.requireNonNull(name, "name");
    if (size == names.length) {
      names = Arrays.copyOf(names, Math.max(4, size * 2));
      hashes = Arrays.copyOf(hashes, names.length);
      values = Arrays.copyOf(values, names.length);
      sharedNames = false;
    }
    unshare();
    hashes[size] = name.hashCode();
    names[size] = name;
    values[size++] = value;
    return this;
  }

  @Override
  public Object remove(Object name) {
    int i = indexOf(name);
    if (i < 0) {
      return null;
    }
    Object old = values[i];
    removeAt(i);
    return old;
  }

  private void removeAt(int i) {
    touched(i);
    unshare();
    System.arraycopy(names, i + 1, names, i, size - i - 1);
    System.arraycopy(hashes, i + 1, hashes, i, size - i - 1);
    System.arraycopy(values, i + 1, values, i, size - i - 1);
    size--;
    names[size] = null;
    values[size] = null;
  }

  @Override
  public void clear() {
    head = null;
    unshare();
    Arrays.fill(names, 0, size, null);
    Arrays.fill(values, 0, size, null);
    size = 0;
  }

  @Override
  public Set<Entry<String, Object>> entrySet() {
    return new AbstractSet<>() {
      @Override
      public int size() {
        return size;
      }

      @Override
      public Iterator<Entry<String, Object>> iterator() {
        return new Iterator<>() {
          int next;
          int last = -1;

          @Override
          public boolean hasNext() {
            return next < size;
          }

          @Override
          public Entry<String, Object> next() {
            if (next >= size) {
              throw new NoSuchElementException();
            }
            last = next++;
            int at = last;
            return new SimpleEntry<>(names[at], values[at]) {
              @Override
              public Object setValue(Object value) {
                touched(at);
                values[at] = value;
                return super.setValue(value);
              }
            };
          }

          @Override
          public void remove() {
            if (last < 0) {
              throw new IllegalStateException();
            }
            removeAt(last);
            next = last;
            last = -1;
          }
        };
      }
    };
  }
}
