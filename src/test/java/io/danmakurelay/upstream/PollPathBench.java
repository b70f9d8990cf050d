package io.danmakurelay.upstream;

import io.danmakurelay.config.ConfigLoader;
import io.danmakurelay.dedupe.FreshMessage;
import io.danmakurelay.kafka.RecordFormat;
import io.danmakurelay.pipeline.RecordValues;
import io.danmakurelay.pipeline.SequencedBatch;
import io.danmakurelay.pipeline.SourceBatch;
import io.danmakurelay.pipeline.SourceItem;
import io.danmakurelay.pipeline.StreamKey;
import io.danmakurelay.sim.SimulatorSettings;
import io.danmakurelay.sim.TrafficModel;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A poll answer's path from body to record bytes (parse, record values, the sink's encoding), before and after
 * the streaming reader, in one JVM, rounds alternating, in CPU time of this thread (so a machine loaded by other
 * builds slows both alike): the tree ({@link PayloadParser#parsePollTree}, the item's tree under raw, as before)
 * against {@link PayloadParser#parsePoll} with the item's bytes under raw. The simulator's answers, full windows.
 * Lives beside PayloadParser because the tree path is package-private. Args: [api ajax-msg|gethistory] [rounds].
 * Run: java -cp target/test-classes:target/classes:$(cat target/bench.classpath) io.danmakurelay.upstream.PollPathBench
 */
public final class PollPathBench {

  public static void main(String[] args) throws Exception {
    boolean modern = args.length > 0 && args[0].equals("gethistory");
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    long t0 = 1_764_388_800_000L;
    TrafficModel model = new TrafficModel(SimulatorSettings.defaults(0, 200, 4_000, 7).withTraffic(0.05, 0.3), t0);
    List<String> bodies = new ArrayList<>();
    for (long t = t0 + 5_000; t <= t0 + 65_000; t += 5_000) {
      for (long room : model.realIds()) {
        bodies.add(model.pollBody(room, modern, t));
      }
    }
    List<Buffer> buffers = bodies.stream().map(Buffer::buffer).toList();
    RecordFormat format = new RecordFormat(ConfigLoader.load(null, Map.of(), List.of()).kafka());
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    System.out.printf("poll path bench: %s, %d answers per round, %d rounds, load average at start %s%n",
        modern ? "gethistory" : "ajax-msg", buffers.size(), rounds, loadAverage());
    long[] cpu = new long[2];
    long[] messages = new long[2];
    long[] bytes = new long[2];
    long sink = 0;
    for (int round = 0; round < rounds + 2; round++) {
      for (int path = 0; path < 2; path++) {
        int which = (round % 2 == 0) ? path : 1 - path;
        long start = threads.getCurrentThreadCpuTime();
        long count = 0;
        long size = 0;
        for (int i = 0; i < buffers.size(); i++) {
          long room = 1_000_001 + (i % 200);
          PollResult result = which == 0
              ? PayloadParser.parsePollTree(200, "application/json", buffers.get(i))
              : PayloadParser.parsePoll(200, "application/json", buffers.get(i));
          PollResult.Success answer = (PollResult.Success) result;
          List<SourceItem> items = new ArrayList<>();
          for (List<Danmaku> list : List.of(answer.admin(), answer.room())) {
            for (Danmaku d : list) {
              JsonObject value = which == 0 ? valueBeforeTheReader(room, d, t0) : RecordValues.danmaku(room,
                  new FreshMessage(d, d.rnd()), t0);
              value.put("seq", ++count);
              items.add(new SourceItem(value, d.ts()));
            }
          }
          SourceBatch batch = new SourceBatch(StreamKey.room(room), "ajax-msg", items, new JsonObject());
          for (var record : format.records(new SequencedBatch(batch, 1, null))) {
            size += record.value().length;
          }
        }
        long used = threads.getCurrentThreadCpuTime() - start;
        sink += size;
        if (round >= 2) {
          // The first two rounds warm the JIT.
          cpu[which] += used;
          messages[which] += count;
          bytes[which] += size;
        }
      }
    }
    double before = cpu[0] / 1e3 / messages[0];
    double after = cpu[1] / 1e3 / messages[1];
    System.out.printf("  before (tree, raw re-serialised): %6.2f CPU us per message, %5.0f record bytes per message%n",
        before, (double) bytes[0] / messages[0]);
    System.out.printf("  after  (stream, raw as received): %6.2f CPU us per message, %5.0f record bytes per message%n",
        after, (double) bytes[1] / messages[1]);
    System.out.printf("  after/before                    : %6.2f   (load average at end %s; %d)%n", after / before,
        loadAverage(), sink % 10);
  }

  /** The record value as it was built before the streaming reader: a tree of the item under raw. */
  private static JsonObject valueBeforeTheReader(long room, Danmaku d, long fetchedAt) {
    return new JsonObject().put("room_id", room).put("id", d.rnd()).put("list", d.list().wireName())
        .put("uid", d.uid()).put("nickname", d.nickname()).put("text", d.text()).put("timeline", d.timeline())
        .put("ts", d.ts()).put("fetched_at", fetchedAt).put("raw", d.raw());
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (Exception e) {
      return "?";
    }
  }
}
