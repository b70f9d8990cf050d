package io.danmakurelay.pipeline;

import java.util.Objects;

/**
 * A part of a String, standing in a record value for the string it is (a pool danmaku's dmid and sender hash, which
 * are parts of its {@code p} attribute): the sink's encoder writes the characters from the source, so a pool's
 * thousands of values each need no substring of their own. To Vert.x's JSON it is a {@link CharSequence}, which
 * {@code JsonObject} reads, compares, copies and encodes as the string {@link #toString()} gives. Immutable.
 */
public final class StringSlice implements CharSequence {

  private final String source;
  private final int from;
  private final int to;

  /** The characters {@code [from, to)} of {@code source}. */
  public StringSlice(String source, int from, int to) {
    Objects.checkFromToIndex(from, to, source.length());
    this.source = source;
    this.from = from;
    this.to = to;
  }

  /** The string this is a part of (for encoders that write the part from it, with {@link #from()} and {@link #to()}). */
  public String source() {
    return source;
  }

  public int from() {
    return from;
  }

  public int to() {
    return to;
  }

  @Override
  public int length() {
    return to - from;
  }

  @Override
  public char charAt(int index) {
    Objects.checkIndex(index, to - from);
    return source.charAt(from + index);
  }

  @Override
  public CharSequence subSequence(int start, int end) {
    Objects.checkFromToIndex(start, end, to - from);
    return new StringSlice(source, from + start, from + end);
  }

  /** Equal to another slice of the same characters (as a String is to another String). */
  @Override
  public boolean equals(Object other) {
    return other instanceof StringSlice slice && source.regionMatches(from, slice.source, slice.from, to - from)
        && slice.length() == length();
  }

  @Override
  public int hashCode() {
    return toString().hashCode();
  }

  /** The characters as a String (a new one each time). */
  @Override
  public String toString() {
    return source.substring(from, to);
  }
}
