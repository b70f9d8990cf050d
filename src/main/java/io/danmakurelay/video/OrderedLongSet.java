package io.danmakurelay.video;

import java.util.Arrays;

/**
 * An insertion-ordered set of non-negative longs (a part's dmids as numbers, oldest first): one array in order and
 * one open-addressing table, no object per id, so a read's thousands of ids cost no boxing and no String hashing.
 */
final class OrderedLongSet {

  private long[] order;
  private int size;
  /**
   * Each held value plus one, 0 an empty slot: a new array is all empty without a fill (Long.MAX_VALUE + 1 wraps to
   * Long.MIN_VALUE, still distinct from every other value and from 0).
   */
  private long[] table;
  private int shift;

  OrderedLongSet(int expected) {
    order = new long[Math.max(16, expected)];
    int bits = 5;
    while ((1 << bits) < expected * 2L && bits < 30) {
      bits++;
    }
    table = new long[1 << bits];
    shift = 64 - bits;
  }

  int size() {
    return size;
  }

  /** The {@code i}-th value added, oldest first. */
  long get(int i) {
    return order[i];
  }

  boolean contains(long value) {
    long stored = value + 1;
    int mask = table.length - 1;
    for (int slot = slot(value); ; slot = (slot + 1) & mask) {
      long held = table[slot];
      if (held == stored) {
        return true;
      }
      if (held == 0) {
        return false;
      }
    }
  }

  /** Adds {@code value} (0 or more) at the end unless held; whether it was added. */
  boolean add(long value) {
    if (value < 0) {
      throw new IllegalArgumentException("a negative id");
    }
    long stored = value + 1;
    int mask = table.length - 1;
    int slot = slot(value);
    for (long held = table[slot]; held != 0; held = table[slot]) {
      if (held == stored) {
        return false;
      }
      slot = (slot + 1) & mask;
    }
    table[slot] = stored;
    if (size == order.length) {
      order = Arrays.copyOf(order, size * 2);
    }
    order[size++] = value;
    if (size * 2L > table.length) {
      grow();
    }
    return true;
  }

  /** This set, or a new one of its last {@code capacity} values when it holds more. */
  OrderedLongSet newest(int capacity) {
    if (size <= capacity) {
      return this;
    }
    OrderedLongSet kept = new OrderedLongSet(capacity);
    for (int i = size - capacity; i < size; i++) {
      kept.add(order[i]);
    }
    return kept;
  }

  private int slot(long value) {
    // Fibonacci hashing: dmids are sequential-ish, their high bits spread over the table.
    return (int) ((value * 0x9E3779B97F4A7C15L) >>> shift);
  }

  private void grow() {
    table = new long[table.length * 2];
    shift--;
    int mask = table.length - 1;
    for (int i = 0; i < size; i++) {
      long value = order[i];
      int slot = slot(value);
      while (table[slot] != 0) {
        slot = (slot + 1) & mask;
      }
      table[slot] = value + 1;
    }
  }
}
