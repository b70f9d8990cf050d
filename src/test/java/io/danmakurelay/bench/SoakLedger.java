package io.danmakurelay.bench;

import io.danmakurelay.sim.SimMessage;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The soak's verdict: aligns what Kafka holds with the simulator's ground truth per room and list, counts
 * duplicates and losses, and classifies every run of lost messages by why it was lost (a window outrun
 * during a deliberate fault, outrun with no fault, or shown in an answered window and still missing: a bug).
 */
final class SoakLedger {

  /** The upstream's window: a message stays visible until this many newer ones of its list arrived. */
  static final int WINDOW = 10;
  /** After a fault's recovery point, the scheduler needs a moment to come back to every room. */
  static final long RECOVERY_SLACK_MS = 5_000;

  /**
   * A deliberate fault: from its start until the relay was seen polling (or Kafka committing) again. An
   * aftermath (the relay's slower polling after a ban) explains a loss only when no fault proper does.
   */
  record Fault(String kind, long startMs, long endMs, boolean aftermath) {
    Fault(String kind, long startMs, long endMs) {
      this(kind, startMs, endMs, false);
    }
  }

  /** One run of consecutive lost messages of one list. */
  record LostRun(long room, String list, int count, long firstTsMs, long lastTsMs, String cause) {}

  long generated;
  long records;
  long duplicates;
  long repeatedIds;
  long outOfOrder;
  long lost;
  final List<LostRun> runs = new ArrayList<>();
  final Map<String, Long> lostByCause = new TreeMap<>();

  /** One Kafka record as the ledger needs it. */
  record Published(long room, String list, String key, String id, long fetchedAt) {}

  static Published published(JsonObject value) {
    JsonObject raw = value.getJsonObject("raw", new JsonObject());
    return new Published(value.getLong("room_id"), value.getString("list"),
        key(value.getLong("uid"), value.getString("nickname"), value.getString("text"), value.getString("timeline"),
            String.valueOf(raw.getValue("rnd"))),
        value.getString("id"), value.getLong("fetched_at", 0L));
  }

  /** Every field the simulator fixes at send time and the legacy API shows; a repeat shares it with its original. */
  static String key(long uid, String nickname, String text, String timeline, String rnd) {
    return uid + "\u001f" + nickname + "\u001f" + text + "\u001f" + timeline + "\u001f" + rnd;
  }

  /**
   * Compares. {@code truth} holds every room's generated messages in order, generation stopped before the
   * relay's last polls (so a message still in its window at the end was pollable until the end).
   */
  void compare(Map<Long, List<SimMessage>> truth, List<Published> kafka, List<Fault> faults) {
    records = kafka.size();
    Set<String> ids = new HashSet<>();
    Map<String, List<Published>> byList = new HashMap<>();
    for (Published p : kafka) {
      if (!ids.add(p.id())) {
        repeatedIds++;
      }
      byList.computeIfAbsent(p.room() + "/" + p.list(), k -> new ArrayList<>()).add(p);
    }
    for (Map.Entry<Long, List<SimMessage>> room : truth.entrySet()) {
      for (String list : List.of("room", "admin")) {
        List<SimMessage> expected = room.getValue().stream().filter(m -> m.list().wireName().equals(list)).toList();
        generated += expected.size();
        List<Published> got = byList.getOrDefault(room.getKey() + "/" + list, List.of());
        alignList(room.getKey(), list, expected, got, faults);
      }
    }
  }

  private void alignList(long room, String list, List<SimMessage> expected, List<Published> got,
      List<Fault> faults) {
    Map<String, Deque<Integer>> unmatched = new HashMap<>();
    for (int i = 0; i < expected.size(); i++) {
      SimMessage m = expected.get(i);
      unmatched.computeIfAbsent(key(m.uid(), m.nickname(), m.text(), m.timeline(), m.rnd()), k -> new ArrayDeque<>())
          .add(i);
    }
    boolean[] matched = new boolean[expected.size()];
    int[] assigned = new int[got.size()];
    int last = -1;
    for (int r = 0; r < got.size(); r++) {
      Deque<Integer> candidates = unmatched.get(got.get(r).key());
      if (candidates == null || candidates.isEmpty()) {
        duplicates++;
        assigned[r] = -1;
        continue;
      }
      int index = candidates.poll();
      matched[index] = true;
      assigned[r] = index;
      if (index < last) {
        outOfOrder++;
      }
      last = Math.max(last, index);
    }
    int[] remap = latestOfIdenticalRuns(expected, matched);
    // Per answer (fetched_at), the newest message it published: a window's fresh run ends at its newest item,
    // so that answer showed exactly the messages [newest - 9, newest] of this list.
    Map<Long, Integer> newestPerAnswer = new HashMap<>();
    for (int r = 0; r < got.size(); r++) {
      if (assigned[r] >= 0) {
        newestPerAnswer.merge(got.get(r).fetchedAt(), remap[assigned[r]], Math::max);
      }
    }
    TreeSet<Integer> windowEnds = new TreeSet<>(newestPerAnswer.values());
    int runStart = -1;
    for (int i = 0; i <= expected.size(); i++) {
      boolean missing = i < expected.size() && !matched[i];
      if (missing && runStart < 0) {
        runStart = i;
      } else if (!missing && runStart >= 0) {
        recordRun(room, list, expected, runStart, i - 1, windowEnds, faults);
        runStart = -1;
      }
    }
  }

  /**
   * Identical repeats (same sender, text, second and rnd) cannot be told apart, so which of them a record
   * stands for is a convention: when some of a run of identical messages are missing, the missing ones are
   * the oldest, the ones a window cuts off first. Rewrites {@code matched} that way and returns where each
   * greedily matched index moved.
   */
  private static int[] latestOfIdenticalRuns(List<SimMessage> expected, boolean[] matched) {
    int[] remap = new int[expected.size()];
    int start = 0;
    while (start < expected.size()) {
      int end = start;
      String k = keyOf(expected.get(start));
      while (end + 1 < expected.size() && keyOf(expected.get(end + 1)).equals(k)) {
        end++;
      }
      int count = 0;
      for (int i = start; i <= end; i++) {
        count += matched[i] ? 1 : 0;
      }
      int next = end - count + 1;
      for (int i = start; i <= end; i++) {
        if (matched[i]) {
          remap[i] = next++;
        } else {
          remap[i] = i;
        }
      }
      for (int i = start; i <= end; i++) {
        matched[i] = i > end - count;
      }
      start = end + 1;
    }
    return remap;
  }

  private static String keyOf(SimMessage m) {
    return key(m.uid(), m.nickname(), m.text(), m.timeline(), m.rnd());
  }

  /** Classifies each message of a lost run, then the run by its worst message. */
  private void recordRun(long room, String list, List<SimMessage> expected, int from, int to,
      TreeSet<Integer> windowEnds, List<Fault> faults) {
    String runCause = null;
    for (int i = from; i <= to; i++) {
      long visibleFrom = expected.get(i).tsMs();
      long visibleUntil = i + WINDOW < expected.size() ? expected.get(i + WINDOW).tsMs() : Long.MAX_VALUE;
      Integer shownBy = windowEnds.ceiling(i);
      String cause;
      if (shownBy != null && shownBy - i < WINDOW) {
        cause = "in an answered window, not published (bug)";
      } else if (visibleUntil == Long.MAX_VALUE) {
        cause = "still visible at the end, never published (bug)";
      } else {
        // The fault in progress when the message appeared, else the first one that began while it was visible.
        List<Fault> all = faults.stream()
            .filter(f -> visibleFrom < f.endMs() + RECOVERY_SLACK_MS && visibleUntil > f.startMs()).toList();
        List<Fault> overlapping = all.stream().anyMatch(f -> !f.aftermath())
            ? all.stream().filter(f -> !f.aftermath()).toList() : all;
        cause = overlapping.stream().filter(f -> f.startMs() <= visibleFrom)
            .max(java.util.Comparator.comparingLong(Fault::startMs))
            .or(() -> overlapping.stream().min(java.util.Comparator.comparingLong(Fault::startMs)))
            .map(f -> "window outrun during " + f.kind())
            .orElse("window outrun, no fault (poll interval too long)");
      }
      lostByCause.merge(cause, 1L, Long::sum);
      lost++;
      if (runCause == null || cause.endsWith("(bug)")) {
        runCause = cause;
      }
    }
    runs.add(new LostRun(room, list, to - from + 1, expected.get(from).tsMs(), expected.get(to).tsMs(), runCause));
  }
}
