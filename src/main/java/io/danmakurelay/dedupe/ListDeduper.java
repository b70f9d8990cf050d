package io.danmakurelay.dedupe;

import io.danmakurelay.upstream.Danmaku;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Deduplicates one list (room or admin) of one room: aligns each new window with the retained tail of the
 * stream and returns the items that are new, with their dedupe ids. Reads and writes only its own state.
 *
 * <h2>Model</h2>
 * The upstream keeps an append-only log per list; a moderator may delete any message, and a window is
 * the last {@value #WINDOW} messages not deleted, oldest first. So between two polls, with P the previous
 * window and N the new one, N always splits into three contiguous runs, {@code N = O ++ M ++ F}:
 * <ul>
 *   <li>M: messages that were already visible, in order: a subsequence of the retained tail H (which ends
 *       with P). The holes in H after M's first item are deletions; the items of H before it were pushed
 *       out by newer messages (or deleted).</li>
 *   <li>F: messages appended since: the fresh ones, published.</li>
 *   <li>O: older messages that slid back into the window because messages of P were deleted. They come
 *       before P's oldest, so they are never new; they can only exist when P was full.</li>
 * </ul>
 * Legacy items have no id, and one viewer can send the same text twice within a second, so a fingerprint
 * (uid, text, timeline, rnd, nickname, check_info.ct) is not a key: [x, x] then [x, x, x] is one new x.
 * Counting comes from the alignment itself: M is matched item by item, so each identical repeat in N is
 * either one matched occurrence or one fresh one, never collapsed.
 *
 * <h2>Choosing the split</h2>
 * Every split (o, m) with a feasible match is scored, and the best wins, compared in this order:
 * <ol>
 *   <li>Fewest timeline violations: a fresh item older (by the second) than P's oldest, or an O item newer
 *       than it. New messages are appended, so their timeline is at least P's; this is what keeps a message
 *       from before the previous window (one that reappears after a mass deletion) from coming back as new,
 *       even when the alignment alone could explain it as a full window of new messages. When no split
 *       avoids a violation (a server clock running behind), the counts tie and the next rules decide, so
 *       a new message stamped early is still published.</li>
 *   <li>Longest M. Fingerprints include the sender and the second, so a run of equal fingerprints in the
 *       same order is the same messages seen again; the alternative is many coincidences. In the one truly
 *       ambiguous case, a run of identical repeats cut by the window's oldest edge ([a..h, x, x] then
 *       [x, x, n1..n8]: was an x pushed out and one x added, or not?), the longest overlap says "no new x":
 *       the relay may then miss one repeat but never publishes a message twice.</li>
 *   <li>Fewest deletions: among equally long matches, the latest one (matched greedily from the newest
 *       end), so that a repeat matches its newest earlier copy and a quiet room's identical windows match
 *       exactly with no deletions.</li>
 *   <li>Smallest O: do not dismiss as old what could be new.</li>
 * </ol>
 * Deletions are accepted anywhere in the matched run, after it (P's newest deleted) and before it when the
 * window is not full (nothing can have been pushed out then). A modern item with {@code id_str} matches
 * only the same id, and a fresh one whose id is already retained is dropped as a duplicate, so the modern
 * API is in effect keyed on {@code id_str} while sharing the same order-aware machinery.
 *
 * <p>A gap is a full window made only of fresh items after a non-empty one: whatever arrived beyond those
 * ten between the polls was lost. The first poll publishes the whole window and is no gap.
 *
 * <h2>State</h2>
 * H holds three windows ({@value #HISTORY} items) as fingerprint digests, plus P's size and oldest second
 * and the occurrence counters of legacy ids: a few kilobytes per room whatever the traffic.
 * An empty window changes nothing: a glitch or a wiped list must not make the next answer look new.
 */
final class ListDeduper {

  /** The upstream's window: at most this many messages per list. */
  static final int WINDOW = 10;
  /** Retained tail: the previous window plus two more, enough to recognise a window's worth of returns. */
  static final int HISTORY = 3 * WINDOW;
  /**
   * Should the upstream ever send longer windows, the tail grows to three of them, up to this window
   * size; older items of a longer window are dropped unpublished rather than let state grow without bound.
   */
  static final int MAX_WINDOW = 100;
  static final int MAX_HISTORY = 3 * MAX_WINDOW;
  /** Occurrence counters kept for legacy ids; only a retained second can repeat, so this is plenty. */
  static final int MAX_OCCURRENCES = 2 * MAX_HISTORY;

  /** One retained item: what alignment needs, nothing else. */
  record Seen(String fingerprint, String idStr, long second) {
    boolean sameAs(Seen other) {
      if (idStr != null && other.idStr != null) {
        return idStr.equals(other.idStr);
      }
      return fingerprint.equals(other.fingerprint);
    }
  }

  /** The next occurrence number of a legacy id base, and the second it belongs to (for pruning). */
  private record Occurrence(long second, int next) {}

  /** What one window added. */
  record Outcome(List<FreshMessage> fresh, int duplicates, boolean gap) {}

  private final long roomId;
  private final Fingerprints fingerprints;
  private List<Seen> history = new ArrayList<>();
  private int lastWindowSize;
  private long floorSecond;
  private final LinkedHashMap<String, Occurrence> occurrences = new LinkedHashMap<>();

  ListDeduper(long roomId, Fingerprints fingerprints) {
    this.roomId = roomId;
    this.fingerprints = fingerprints;
  }

  /** The id_strs of the retained tail, oldest first (modern items only). */
  List<String> retainedIds() {
    List<String> ids = new ArrayList<>();
    for (Seen seen : history) {
      if (seen.idStr != null) {
        ids.add(seen.idStr);
      }
    }
    return ids;
  }

  Outcome accept(List<Danmaku> answered) {
    if (answered.isEmpty()) {
      return new Outcome(List.of(), 0, false);
    }
    int cut = Math.max(0, answered.size() - MAX_WINDOW);
    List<Danmaku> window = answered.subList(cut, answered.size());
    int n = window.size();
    List<Seen> incoming = new ArrayList<>(n);
    for (Danmaku item : window) {
      incoming.add(new Seen(fingerprints.fingerprint(item), item.idStr(), Math.floorDiv(item.ts(), 1000L)));
    }
    Split split = history.isEmpty() ? Split.ALL_FRESH : bestSplit(incoming);

    List<FreshMessage> fresh = new ArrayList<>();
    Set<String> knownIds = new HashSet<>();
    for (Seen seen : history) {
      if (seen.idStr != null) {
        knownIds.add(seen.idStr);
      }
    }
    for (int i = 0; i < split.freshStart; i++) {
      if (incoming.get(i).idStr != null) {
        knownIds.add(incoming.get(i).idStr);
      }
    }
    for (int i = split.freshStart; i < n; i++) {
      Danmaku item = window.get(i);
      if (item.idStr() != null && !knownIds.add(item.idStr())) {
        continue;
      }
      fresh.add(new FreshMessage(item, dedupeId(item, incoming.get(i).second)));
    }

    // A full window of fresh items only: whatever came between the polls beyond it was lost. A window of
    // old items sliding back (mass deletion) shares nothing either, but loses nothing.
    boolean gap = lastWindowSize > 0 && split.matched == 0 && split.oldCount == 0 && n >= WINDOW;
    remember(incoming, split);
    return new Outcome(fresh, answered.size() - fresh.size(), gap);
  }

  /** Where the fresh run starts, how many items matched, and the H index of the first match (-1: none). */
  private record Split(int oldCount, int matched, int firstMatch, int freshStart) {
    static final Split ALL_FRESH = new Split(0, 0, -1, 0);
  }

  private Split bestSplit(List<Seen> incoming) {
    int n = incoming.size();
    int h = history.size();
    int previous = Math.min(lastWindowSize, h);
    // Prefix counts of items older / newer than the floor, for O(1) violation counts per split.
    int[] olderPrefix = new int[n + 1];
    int[] newerPrefix = new int[n + 1];
    for (int i = 0; i < n; i++) {
      long second = incoming.get(i).second;
      olderPrefix[i + 1] = olderPrefix[i] + (second < floorSecond ? 1 : 0);
      newerPrefix[i + 1] = newerPrefix[i] + (second > floorSecond ? 1 : 0);
    }
    // O needs a full previous window, and each O item a deleted item of it: o <= previous.
    int maxOld = lastWindowSize >= WINDOW ? Math.min(n, previous) : 0;

    Split best = null;
    long[] bestScore = null;
    // For each start of the fresh run, grow M leftwards: matching greedily from the newest end, each step
    // extends the previous match, so all (o, m) splits cost O(n + h) per fresh-run start.
    for (int freshStart = 0; freshStart <= n; freshStart++) {
      int violationsFresh = olderPrefix[n] - olderPrefix[freshStart];
      if (freshStart <= maxOld) {
        // m = 0: a full window pushed everything out (a gap), or every retained item was deleted.
        long[] none = score(newerPrefix[freshStart] + violationsFresh, 0, n >= WINDOW ? 0 : previous, freshStart);
        if (best == null || better(none, bestScore)) {
          best = new Split(freshStart, 0, -1, freshStart);
          bestScore = none;
        }
      }
      int j = h - 1;
      for (int o = freshStart - 1; o >= 0 && j >= 0; o--) {
        Seen item = incoming.get(o);
        while (j >= 0 && !history.get(j).sameAs(item)) {
          j--;
        }
        if (j < 0) {
          break;
        }
        int firstMatch = j--;
        if (o > maxOld) {
          continue;
        }
        int matched = freshStart - o;
        int from = n < WINDOW ? Math.min(firstMatch, h - previous) : firstMatch;
        long[] candidate = score(newerPrefix[o] + violationsFresh, matched, (h - from) - matched, o);
        if (best == null || better(candidate, bestScore)) {
          best = new Split(o, matched, firstMatch, freshStart);
          bestScore = candidate;
        }
      }
    }
    return best;
  }

  private static long[] score(int violations, int matched, int deletions, int oldCount) {
    return new long[] {violations, -matched, deletions, oldCount};
  }

  /** Strictly better only, so that ties keep the earlier candidate (the smaller O). */
  private static boolean better(long[] candidate, long[] incumbent) {
    for (int i = 0; i < candidate.length; i++) {
      if (candidate[i] != incumbent[i]) {
        return candidate[i] < incumbent[i];
      }
    }
    return false;
  }

  private void remember(List<Seen> incoming, Split split) {
    int n = incoming.size();
    int capacity = Math.max(HISTORY, 3 * n);
    List<Seen> next = new ArrayList<>(capacity + n);
    if (n >= WINDOW && !history.isEmpty()) {
      // What precedes the match was pushed out, still history; after it, unmatched items were deleted.
      int keep = split.matched == 0 ? history.size() : split.firstMatch;
      next.addAll(history.subList(0, keep));
    }
    next.addAll(incoming);
    if (next.size() > capacity) {
      next = new ArrayList<>(next.subList(next.size() - capacity, next.size()));
    }
    history = next;
    lastWindowSize = n;
    long oldest = Long.MAX_VALUE;
    for (Seen seen : incoming) {
      oldest = Math.min(oldest, seen.second);
    }
    floorSecond = oldest;
    pruneOccurrences();
  }

  private String dedupeId(Danmaku item, long second) {
    if (item.idStr() != null) {
      return item.idStr();
    }
    String base = fingerprints.idBase(roomId, item);
    Occurrence previous = occurrences.remove(base);
    int occurrence = previous == null ? 0 : previous.next;
    occurrences.put(base, new Occurrence(second, occurrence + 1));
    return base + "-" + occurrence;
  }

  /**
   * A base can only recur within its own second, and a fresh item never predates the retained tail, so a
   * counter older than every retained item is dead. The cap bounds the map even for a broken clock.
   */
  private void pruneOccurrences() {
    long oldestRetained = Long.MAX_VALUE;
    for (Seen seen : history) {
      oldestRetained = Math.min(oldestRetained, seen.second);
    }
    Iterator<Map.Entry<String, Occurrence>> entries = occurrences.entrySet().iterator();
    while (entries.hasNext()) {
      Map.Entry<String, Occurrence> entry = entries.next();
      if (entry.getValue().second < oldestRetained || occurrences.size() > MAX_OCCURRENCES) {
        entries.remove();
      }
    }
  }

  int retainedItems() {
    return history.size();
  }

  int occurrenceCounters() {
    return occurrences.size();
  }

  JsonObject snapshot() {
    JsonArray items = new JsonArray();
    for (Seen seen : history) {
      items.add(new JsonArray().add(seen.fingerprint).add(seen.idStr).add(seen.second));
    }
    JsonArray counters = new JsonArray();
    occurrences.forEach((base, occurrence) ->
        counters.add(new JsonArray().add(base).add(occurrence.second).add(occurrence.next)));
    return new JsonObject()
        .put("window", lastWindowSize)
        .put("floor", floorSecond)
        .put("history", items)
        .put("occurrences", counters);
  }

  /** Loads a snapshot; throws IllegalArgumentException (caught by the caller) when it is malformed. */
  void restore(JsonObject snapshot) {
    int window = requireInt(snapshot.getValue("window"), 0, MAX_WINDOW);
    long floor = requireLong(snapshot.getValue("floor"));
    JsonArray items = requireArray(snapshot.getValue("history"), MAX_HISTORY);
    JsonArray counters = requireArray(snapshot.getValue("occurrences"), MAX_OCCURRENCES);
    List<Seen> restored = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      JsonArray item = requireArray(items.getValue(i), 3);
      Object idStr = item.getValue(1);
      if (idStr != null && !(idStr instanceof String)) {
        throw new IllegalArgumentException("history id is not a string");
      }
      restored.add(new Seen(requireDigest(item.getValue(0)), (String) idStr, requireLong(item.getValue(2))));
    }
    if (window > restored.size()) {
      throw new IllegalArgumentException("window larger than history");
    }
    LinkedHashMap<String, Occurrence> restoredCounters = new LinkedHashMap<>();
    for (int i = 0; i < counters.size(); i++) {
      JsonArray counter = requireArray(counters.getValue(i), 3);
      restoredCounters.put(requireDigest(counter.getValue(0)),
          new Occurrence(requireLong(counter.getValue(1)), requireInt(counter.getValue(2), 0, Integer.MAX_VALUE)));
    }
    history = restored;
    lastWindowSize = window;
    floorSecond = floor;
    occurrences.clear();
    occurrences.putAll(restoredCounters);
  }

  private static JsonArray requireArray(Object value, int maxSize) {
    if (!(value instanceof JsonArray array) || array.size() > maxSize) {
      throw new IllegalArgumentException("expected an array of at most " + maxSize);
    }
    return array;
  }

  private static String requireDigest(Object value) {
    if (!(value instanceof String digest) || !digest.matches("[0-9a-f]{16}")) {
      throw new IllegalArgumentException("expected a digest");
    }
    return digest;
  }

  private static long requireLong(Object value) {
    if (value instanceof Integer || value instanceof Long) {
      return ((Number) value).longValue();
    }
    throw new IllegalArgumentException("expected an integer");
  }

  private static int requireInt(Object value, int min, int max) {
    long number = requireLong(value);
    if (number < min || number > max) {
      throw new IllegalArgumentException("integer out of range");
    }
    return (int) number;
  }
}
