package io.danmakurelay.bench;

import io.danmakurelay.sim.SimMessage;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Matches Kafka records to the simulator's ground truth for the capture benchmark. A message's identity is
 * room, list, uid, text, timeline and the upstream's {@code rnd} (both APIs carry it). Identical resends share all of these, so equal keys are matched as a multiset, each
 * record taking the earliest generated message of its key not yet taken; a key seen more often in Kafka than it
 * was generated is a duplicate. Exact: the counts per key are what matter, and equal keys are equal messages.
 */
final class CaptureBenchMatcher {

  /**
   * What a run delivered, for messages generated in [from, to). Delays are record timestamp - send time;
   * {@code perRoom} is each room's {generated, captured} in the window.
   */
  record Outcome(long generated, long captured, long duplicates, long unmatched, double delayMedianMs,
      double delayP95Ms, long liveGenerated, long liveCaptured, double liveDelayMedianMs, String busiestRooms,
      Delays watched, Delays unwatched, Map<Long, Delays> perWatchedRoom,
      Map<Long, long[]> perRoom) {}

  /** Delays of the messages captured in rooms that had a {@code /ws} subscriber, or in the others, or in one room. */
  record Delays(long captured, long generated, double medianMs, double p95Ms, double maxMs) {}

  private CaptureBenchMatcher() {}

  static Outcome match(Map<Long, List<SimMessage>> truth, List<ConsumerRecord<String, byte[]>> records,
      long fromMs, long toMs, long[] liveRooms, Set<Long> watched) {
    Set<Long> live = new HashSet<>();
    Arrays.stream(liveRooms).forEach(live::add);
    long[] generatedByWatch = new long[2];
    Map<String, ArrayDeque<SimMessage>> pending = new HashMap<>();
    long generated = 0;
    long liveGenerated = 0;
    for (List<SimMessage> room : truth.values()) {
      for (SimMessage m : room) {
        pending.computeIfAbsent(key(m.roomId(), m.list().wireName(), m.uid(), m.text(), m.timeline(), m.rnd()), k -> new ArrayDeque<>()).add(m);
        if (m.tsMs() >= fromMs && m.tsMs() < toMs) {
          generated++;
          generatedByWatch[watched.contains(m.roomId()) ? 1 : 0]++;
          if (live.contains(m.roomId())) {
            liveGenerated++;
          }
        }
      }
    }
    Map<Long, long[]> perRoom = new HashMap<>();
    for (List<SimMessage> room : truth.values()) {
      for (SimMessage m : room) {
        if (m.tsMs() >= fromMs && m.tsMs() < toMs) {
          perRoom.computeIfAbsent(m.roomId(), k -> new long[2])[0]++;
        }
      }
    }
    long captured = 0;
    long liveCaptured = 0;
    long excess = 0;
    long unmatched = 0;
    Set<String> ids = new HashSet<>();
    long repeatedIds = 0;
    List<Long> delays = new ArrayList<>();
    List<Long> liveDelays = new ArrayList<>();
    List<Long> watchedDelays = new ArrayList<>();
    List<Long> unwatchedDelays = new ArrayList<>();
    Map<Long, List<Long>> roomDelays = new HashMap<>();
    for (ConsumerRecord<String, byte[]> r : records) {
      JsonObject v = new JsonObject(new String(r.value(), StandardCharsets.UTF_8));
      if (!ids.add(v.getLong("room_id") + "/" + v.getString("id"))) {
        repeatedIds++;
      }
      JsonObject raw = v.getJsonObject("raw", new JsonObject());
      ArrayDeque<SimMessage> candidates = pending.get(key(v.getLong("room_id"), v.getString("list"), v.getLong("uid"),
          v.getString("text"), v.getString("timeline"), String.valueOf(raw.getValue("rnd"))));
      if (candidates == null) {
        unmatched++;
        continue;
      }
      SimMessage m = candidates.poll();
      if (m == null) {
        excess++;
        continue;
      }
      if (m.tsMs() >= fromMs && m.tsMs() < toMs) {
        captured++;
        perRoom.get(m.roomId())[1]++;
        delays.add(r.timestamp() - m.tsMs());
        (watched.contains(m.roomId()) ? watchedDelays : unwatchedDelays).add(r.timestamp() - m.tsMs());
        if (watched.contains(m.roomId())) {
          roomDelays.computeIfAbsent(m.roomId(), k -> new ArrayList<>()).add(r.timestamp() - m.tsMs());
        }
        if (live.contains(m.roomId())) {
          liveCaptured++;
          liveDelays.add(r.timestamp() - m.tsMs());
        }
      }
    }
    Map<Long, Delays> perWatchedRoom = new HashMap<>();
    for (long room : watched) {
      long[] counts = perRoom.getOrDefault(room, new long[2]);
      perWatchedRoom.put(room, delays(roomDelays.getOrDefault(room, List.of()), counts[0]));
    }
    return new Outcome(generated, captured, Math.max(excess, repeatedIds), unmatched, percentile(delays, 0.5),
        percentile(delays, 0.95), liveGenerated, liveCaptured, percentile(liveDelays, 0.5), busiest(perRoom),
        delays(watchedDelays, generatedByWatch[1]), delays(unwatchedDelays, generatedByWatch[0]), perWatchedRoom,
        perRoom);
  }

  private static Delays delays(List<Long> values, long generated) {
    return new Delays(values.size(), generated, percentile(values, 0.5), percentile(values, 0.95),
        percentile(values, 1.0));
  }

  private static String key(long room, String list, long uid, String text, String timeline, String rnd) {
    return room + "\u0000" + list + "\u0000" + uid + "\u0000" + timeline + "\u0000" + rnd + "\u0000" + text;
  }

  /** Capture of the five busiest rooms and of the rest together, to see where losses are. */
  private static String busiest(Map<Long, long[]> perRoom) {
    List<Map.Entry<Long, long[]>> rooms = new ArrayList<>(perRoom.entrySet());
    rooms.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
    StringBuilder out = new StringBuilder();
    long restGenerated = 0;
    long restCaptured = 0;
    for (int i = 0; i < rooms.size(); i++) {
      long[] c = rooms.get(i).getValue();
      if (i < 5) {
        out.append(String.format(java.util.Locale.ROOT, "%d:%d/%d ", rooms.get(i).getKey(), c[1], c[0]));
      } else {
        restGenerated += c[0];
        restCaptured += c[1];
      }
    }
    return out.append(String.format(java.util.Locale.ROOT, "rest:%d/%d (%.1f%%)", restCaptured, restGenerated,
        100.0 * restCaptured / Math.max(1, restGenerated))).toString();
  }

  static double percentile(List<Long> values, double q) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Long> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get((int) Math.min(sorted.size() - 1, Math.floor(q * sorted.size())));
  }
}
