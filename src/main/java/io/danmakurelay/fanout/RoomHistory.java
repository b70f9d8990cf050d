package io.danmakurelay.fanout;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * One room's last {@code capacity} serialised danmaku frames, keyed by the record's durable seq, for
 * resume. The frames are kept already encoded so a replay costs no serialisation. The held seqs are always
 * contiguous: a seq already held (a re-read) is skipped, and a jump forward (a refill that starts
 * mid-stream, or records Kafka no longer holds) starts the history again at the new seq.
 */
final class RoomHistory {

  /** What {@link #offer} did with a frame. */
  enum Offer {
    /** The next seq: appended. */
    APPENDED,
    /** A seq at or below the last one: already delivered, skipped. */
    REPEATED,
    /** A seq past the next one: appended after dropping what was held (the seqs between are unknown). */
    AFTER_HOLE
  }

  private final int capacity;
  private final ArrayDeque<Buffer> frames;
  private long lastSeq;

  RoomHistory(int capacity) {
    this.capacity = capacity;
    this.frames = new ArrayDeque<>(Math.min(capacity, 64));
  }

  /** Records the frame of message {@code seq} (positive) unless that seq was already seen. */
  Offer offer(long seq, Buffer frame) {
    if (seq <= lastSeq) {
      return Offer.REPEATED;
    }
    Offer outcome = Offer.APPENDED;
    if (seq != lastSeq + 1) {
      // The first seq of a room (lastSeq 0) may be anything: a refill reads only the topic's tail.
      outcome = lastSeq == 0 ? Offer.APPENDED : Offer.AFTER_HOLE;
      frames.clear();
    }
    lastSeq = seq;
    if (capacity > 0) {
      if (frames.size() == capacity) {
        frames.removeFirst();
      }
      frames.addLast(frame);
    }
    return outcome;
  }

  /** Seq of the last message seen, 0 before the first. */
  long lastSeq() {
    return lastSeq;
  }

  /** Seq of the oldest message still held; {@code lastSeq() + 1} when none is held. */
  long oldestHeldSeq() {
    return lastSeq - frames.size() + 1;
  }

  boolean isEmpty() {
    return lastSeq == 0;
  }

  /** The held frames with a seq above {@code since}, oldest first. */
  List<Buffer> after(long since) {
    long first = Math.max(since + 1, oldestHeldSeq());
    int skip = (int) (first - oldestHeldSeq());
    int count = (int) Math.max(0, lastSeq - first + 1);
    List<Buffer> out = new ArrayList<>(count);
    Iterator<Buffer> it = frames.iterator();
    for (int i = 0; i < skip; i++) {
      it.next();
    }
    while (it.hasNext()) {
      out.add(it.next());
    }
    return out;
  }
}
