package io.danmakurelay.fanout;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * One room's sequence counter and its last {@code capacity} serialised danmaku frames, for resume. Seq
 * numbers start at 1 and rise by 1 per message; the frames are kept already encoded so a replay costs no
 * serialisation.
 */
final class RoomHistory {
  private final int capacity;
  private final ArrayDeque<Buffer> frames;
  private long lastSeq;

  RoomHistory(int capacity) {
    this.capacity = capacity;
    this.frames = new ArrayDeque<>(Math.min(capacity, 64));
  }

  /** The seq the next message gets. */
  long nextSeq() {
    return lastSeq + 1;
  }

  /** Records the frame of message {@link #nextSeq()} and returns its seq. */
  long append(Buffer frame) {
    lastSeq++;
    if (capacity > 0) {
      if (frames.size() == capacity) {
        frames.removeFirst();
      }
      frames.addLast(frame);
    }
    return lastSeq;
  }

  /** Seq of the last message published, 0 before the first. */
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
