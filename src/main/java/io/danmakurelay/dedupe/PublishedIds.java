package io.danmakurelay.dedupe;

import io.vertx.core.json.JsonArray;
import java.util.Iterator;
import java.util.LinkedHashSet;

/**
 * The {@code id_str}s a room's stream published most recently in one list, whichever source saw them
 * (poll or push): the key that makes a message seen by both published once. Bounded: the oldest id goes
 * when the set is full, which is safe because {@code gethistory} shows only the last 10 of a list, so an
 * id {@value #CAPACITY} messages old can only come back after a moderator deleted a hundred newer ones.
 */
final class PublishedIds {

  static final int CAPACITY = 128;

  private final LinkedHashSet<String> ids = new LinkedHashSet<>();

  boolean contains(String id) {
    return ids.contains(id);
  }

  /** Remembers an id; false when it was already there. */
  boolean add(String id) {
    if (!ids.add(id)) {
      return false;
    }
    if (ids.size() > CAPACITY) {
      Iterator<String> oldest = ids.iterator();
      oldest.next();
      oldest.remove();
    }
    return true;
  }

  int size() {
    return ids.size();
  }

  JsonArray snapshot() {
    return new JsonArray(new java.util.ArrayList<>(ids));
  }

  /** Reads {@link #snapshot()}; throws on a malformed one (the caller starts clean then). */
  void restore(JsonArray snapshot) {
    ids.clear();
    for (Object o : snapshot) {
      if (!(o instanceof String s)) {
        throw new IllegalArgumentException("published id is not a string");
      }
      add(s);
    }
  }
}
