package io.danmakurelay.pipeline;

import java.util.Objects;

/**
 * A part of a String, standing in a record value for the string it is (a pool danmaku's dmid and sender hash, which
 * are parts of its {@code p} attribute): the sink's encoder writes the characters from the source, so a pool's
 * thousands of values each need no substring of their own. To Vert.x's JSON it is a {@link CharSequence}, which
 * {@code JsonObject} reads, compares, copies and encodes as the string {@link #toString()} gives. A slice made by
 * {@link #ofPlainAscii} says its characters are all printable ASCII that JSON does not escape (what a parser that
 * checked them knows: a dmid's digits), so the encoder copies them as bytes without looking at them again. Immutable.
 * No bean-style getters ({@code getX}, {@code isX}): Vert.x's own encoding hands a type it does not know to Jackson,
 * which writes a {@code CharSequence} without bean properties as its {@code toString()}, one with them as an object.
 */
public final class StringSlice implements CharSequence {

  private final String source;
  private final int from;
  private final int to;
  private final boolean plainAscii;

  /** The characters {@code [from, to)} of {@code source}. */
  public StringSlice(String source, int from, int to) {
    this(source, from, to, false);
  }

  private StringSlice(String source, int from, int to, boolean plainAscii) {
    Objects.checkFromToIndex(from, to, source.length());
    this.source = source;
    this.from = from;
    this.to = to;
    this.plainAscii = plainAscii;
  }

  /**
   * The characters {@code [from, to)} of {@code source}, which the caller checked are each within {@code 0x20..0x7F}
   * and neither {@code "} nor {@code \} (not checked again here: that pass is what this saves; a slice that breaks the
   * promise is encoded wrongly).
   */
  public static StringSlice ofPlainAscii(String source, int from, int to) {
    return new StringSlice(source, from, to, true);
  }

  /** Whether the maker promised every character is printable ASCII that JSON writes as it is ({@link #ofPlainAscii}). */
  public boolean plainAscii() {
    return plainAscii;
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
    return new StringSlice(source, from + start, from + end, plainAscii);
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

  /** The characters as a String (the source itself when the slice is all of it). */
  @Override
  public String toString() {
    return source.substring(from, to);
  }
}
