package io.danmakurelay.sim;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

/**
 * The simulator's videos (SPEC §7): a few seeded uploads and a bangumi episode, each part a pool that grows
 * at its own steady rate and keeps its newest {@code maxlimit} danmaku, with a backstory (the pool turned
 * over several times before the simulator started) whose {@code rolldate} dates and {@code dmroll} snapshots
 * can be read. Danmaku {@code k} of a part arrives at {@code createdAt + k * period}: the pool at any time is a
 * range of indices, so the ground truth (which danmaku each served read held) is a set of ranges.
 * Thread-safe; no I/O.
 */
final class VideoCatalog {

  /** Each pool turned over this many times before the simulator started. */
  static final int BACKSTORY_TURNOVERS = 3;
  static final int HUGE_BYTES = 50 * 1024 * 1024;
  /**
   * How often the counters of the {@code archives} answer move: they are a cache, not a live count, so a
   * video's metadata changes when they step (or its uploader edits it), not with every danmaku.
   */
  static final long STAT_REFRESH_MS = 10 * 60_000L;

  record PartSpec(long cid, int page, String title, long durationS, int maxLimit, double rate) {}

  record VideoSpec(long aid, String bvid, String title, String tname, long ownerMid, String ownerName,
      long pubdate, String desc, List<PartSpec> parts, long episode, long seasonId, String seasonTitle,
      String seasonName, List<Long> related, boolean plainPools) {}

  /** A part's arrivals and what was served of it. */
  static final class Part {
    final VideoSpec video;
    final PartSpec spec;
    final long createdAtMs;
    final double periodMs;
    /** Served reads as index ranges [from, to], merged. */
    final TreeSet<long[]> served = new TreeSet<>((a, b) -> Long.compare(a[0], b[0]));
    long poolReads;
    long historyReads;

    Part(VideoSpec video, PartSpec spec, long startMs) {
      this.video = video;
      this.spec = spec;
      this.periodMs = 1000.0 / spec.rate();
      this.createdAtMs = startMs - (long) (BACKSTORY_TURNOVERS * spec.maxLimit() * periodMs);
    }

    /** How many danmaku had arrived by {@code atMs}. */
    long arrived(long atMs) {
      if (atMs < createdAtMs) {
        return 0;
      }
      return (long) Math.floor((atMs - createdAtMs) / periodMs) + 1;
    }

    long arrivalMs(long k) {
      return createdAtMs + (long) Math.ceil(k * periodMs);
    }

    /** The pool at {@code atMs}: indices [from, to) . */
    long[] window(long atMs) {
      long n = arrived(atMs);
      return new long[] {Math.max(0, n - spec.maxLimit()), n};
    }

    String dmid(long k) {
      return Long.toString(spec.cid() * 1_000_000_000L + k);
    }
  }

  private final long seed;
  private final long startMs;
  private final Map<Long, VideoSpec> byAid = new LinkedHashMap<>();
  private final Map<String, Long> aidByBvid = new HashMap<>();
  private final Map<Long, Long> aidByEpisode = new HashMap<>();
  private final Map<Long, Part> parts = new LinkedHashMap<>();
  private final Map<Long, Pending> faults = new HashMap<>();
  private long faultsServed;
  private long requests;

  private static final class Pending {
    final VideoFault mode;
    int remaining;

    Pending(VideoFault mode, int remaining) {
      this.mode = mode;
      this.remaining = remaining;
    }
  }

  VideoCatalog(long seed, long startMs) {
    this.seed = seed;
    this.startMs = startMs;
    add(new VideoSpec(170001, "BV17x411w7KC", "【模拟】弹幕测试 <第一弹> & \"引号\" $1 .*", "动画", 282994, "泠鸢yousa",
        1484755580L, "模拟视频\n第二行", List.of(
            new PartSpec(1700011, 1, "第1话  传说的少女", 1407, 500, 5),
            new PartSpec(1700012, 2, "第2话  朱雀的巫女", 1406, 300, 2),
            new PartSpec(1700013, 3, "第3话  朱雀七星", 1407, 200, 0.5)),
        0, 0, null, null, List.of(170002L, 170003L), false));
    add(new VideoSpec(170002, "BV17x411w7Kk", "单P视频 😀", "原创音乐", 100, "up主", 1500000000L, "",
        List.of(new PartSpec(1700021, 1, "P1", 306, 1000, 3)), 0, 0, null, null, List.of(170001L), true));
    add(new VideoSpec(170003, "BV17x411w7Kr", "大弹幕池", "科技", 101, "大up", 1510000000L, "8000 条",
        List.of(new PartSpec(1700031, 1, "P1", 7200, 8000, 20)), 0, 0, null, null, List.of(), false));
    add(new VideoSpec(14989419, "BV1Px41137AC", "阿松 第二季：第1话", "番剧", 21453565, "TV-TOKYO", 1507017600L, "",
        List.of(new PartSpec(24417385, 1, "复活 阿松", 1440, 1000, 1)), 114928, 6421, "第二季", "阿松 第二季",
        List.of(), false));
  }

  private void add(VideoSpec video) {
    byAid.put(video.aid(), video);
    aidByBvid.put(video.bvid(), video.aid());
    if (video.episode() > 0) {
      aidByEpisode.put(video.episode(), video.aid());
    }
    for (PartSpec p : video.parts()) {
      parts.put(p.cid(), new Part(video, p, startMs));
    }
  }

  // ---- lookups ----

  synchronized VideoSpec video(long aid) {
    requests++;
    return byAid.get(aid);
  }

  synchronized Long aidOfBvid(String bvid) {
    requests++;
    return aidByBvid.get(bvid);
  }

  synchronized Long aidOfEpisode(long ep) {
    requests++;
    return aidByEpisode.get(ep);
  }

  synchronized Part part(long cid) {
    requests++;
    return parts.get(cid);
  }

  /** The uploader edits the title of video {@code aid}. */
  synchronized void retitle(long aid, String title) {
    VideoSpec v = byAid.get(aid);
    if (v != null) {
      byAid.put(aid, new VideoSpec(v.aid(), v.bvid(), title, v.tname(), v.ownerMid(), v.ownerName(), v.pubdate(), v.desc(),
          v.parts(), v.episode(), v.seasonId(), v.seasonTitle(), v.seasonName(), v.related(), v.plainPools()));
    }
  }

  synchronized List<Long> aids() {
    return List.copyOf(byAid.keySet());
  }

  /** Every rolldate timestamp (seconds) of a part: a snapshot per half pool of its backstory. */
  synchronized List<Long> rollDates(Part part, long nowMs) {
    List<Long> dates = new ArrayList<>();
    long stepMs = Math.max(1000, (long) (part.spec.maxLimit() * part.periodMs / 2));
    for (long t = part.createdAtMs + stepMs; t < Math.min(nowMs, startMs); t += stepMs) {
      dates.add(t / 1000);
    }
    return dates;
  }

  // ---- faults ----

  synchronized void order(long id, VideoFault mode, int count) {
    if (count <= 0) {
      faults.remove(id);
    } else {
      faults.put(id, new Pending(mode, count));
    }
  }

  /** The fault for a request about {@code id} (an aid, cid or episode), consuming one, or null. */
  synchronized VideoFault take(long id) {
    Pending p = faults.get(id);
    if (p == null) {
      return null;
    }
    if (--p.remaining == 0) {
      faults.remove(id);
    }
    faultsServed++;
    return p.mode;
  }

  synchronized boolean knows(long id) {
    return byAid.containsKey(id) || parts.containsKey(id) || aidByEpisode.containsKey(id);
  }

  // ---- bodies ----

  String pagelist(VideoSpec v) {
    JsonArray data = new JsonArray();
    for (PartSpec p : v.parts()) {
      data.add(new JsonObject().put("cid", p.cid()).put("page", p.page()).put("from", "vupload").put("part", p.title())
          .put("duration", p.durationS()).put("vid", "").put("weblink", ""));
    }
    return new JsonObject().put("code", 0).put("data", data).put("message", "0").put("ttl", 1).encode();
  }

  String archives(VideoSpec v, long nowMs) {
    long danmaku = 0;
    long countedAt = statCountedAt(nowMs);
    for (PartSpec p : v.parts()) {
      danmaku += partOf(p.cid()).arrived(countedAt);
    }
    JsonObject entry = new JsonObject().put("aid", v.aid()).put("videos", v.parts().size()).put("tid", 28)
        .put("tname", v.tname()).put("copyright", 1).put("pic", "http://i1.hdslb.com/bfs/archive/sim.jpg")
        .put("title", v.title()).put("pubdate", v.pubdate()).put("ctime", v.pubdate()).put("desc", v.desc())
        .put("state", 0).put("attribute", 49152).put("duration", durationOf(v))
        .put("owner", new JsonObject().put("mid", v.ownerMid()).put("name", v.ownerName()).put("face", "http://i0.hdslb.com/bfs/face/sim.jpg"))
        .put("stat", stat(v, danmaku)).put("dynamic", "");
    return new JsonObject().put("code", 0).put("data", new JsonObject().put(Long.toString(v.aid()), entry))
        .put("message", "0").put("ttl", 1).encode();
  }

  /** When the counters served at {@code nowMs} were counted: the last step of {@link #STAT_REFRESH_MS}. */
  long statCountedAt(long nowMs) {
    return nowMs < startMs ? nowMs : startMs + (nowMs - startMs) / STAT_REFRESH_MS * STAT_REFRESH_MS;
  }

  /**
   * The stat block does not change with time but for danmaku, counted at the last {@link #STAT_REFRESH_MS} step,
   * so the metadata record changes only with it (or an edit).
   */
  static JsonObject stat(VideoSpec v, long danmaku) {
    return new JsonObject().put("aid", v.aid()).put("view", v.aid() % 100_000 * 7).put("danmaku", danmaku)
        .put("reply", 34).put("favorite", 367).put("coin", 356).put("share", 55).put("now_rank", 0).put("his_rank", 0)
        .put("like", 124);
  }

  static long durationOf(VideoSpec v) {
    return v.parts().stream().mapToLong(PartSpec::durationS).sum();
  }

  String view(VideoSpec v) {
    return new JsonObject().put("code", 0).put("message", "0").put("ttl", 1)
        .put("data", new JsonObject().put("bvid", v.bvid()).put("aid", v.aid()).put("videos", v.parts().size())
            .put("title", v.title()).put("cid", v.parts().get(0).cid())).encode();
  }

  String episode(VideoSpec v) {
    PartSpec p = v.parts().get(0);
    return new JsonObject().put("code", 0).put("message", "success").put("result", new JsonObject()
        .put("season", new JsonObject().put("cover", "http://i0.hdslb.com/bfs/bangumi/sim.jpg")
            .put("season_title", v.seasonTitle()).put("title", v.seasonName()).put("version", "tv"))
        .put("upInfo", new JsonObject().put("mid", v.ownerMid()).put("uname", v.ownerName()))
        .put("currentEpisode", new JsonObject().put("avId", Long.toString(v.aid())).put("bangumiTitle", "")
            .put("danmaku", Long.toString(p.cid())).put("episodeId", v.episode()).put("index", "1")
            .put("indexTitle", "1").put("isDelete", "0").put("longTitle", p.title()).put("mid", Long.toString(v.ownerMid()))
            .put("page", "1").put("pubDate", "2017-10-03").put("seasonId", v.seasonId()).put("status", 2)))
        .encode();
  }

  /** author_recommend escapes as the real one does: {@code \/} and {@code \\uXXXX} for everything non-ASCII. */
  String recommend(VideoSpec v) {
    StringBuilder out = new StringBuilder("{\"code\":0,\"list\":[");
    for (int i = 0; i < v.related().size(); i++) {
      VideoSpec r = byAid.get(v.related().get(i));
      out.append(i == 0 ? "" : ",").append("{\"aid\":").append(r.aid()).append(",\"title\":\"");
      asciiEscaped(out, r.title());
      out.append("\",\"cover\":\"https:\\/\\/i0.hdslb.com\\/bfs\\/archive\\/").append(r.aid())
          .append(".jpg\",\"click\":162341,\"review\":1717,\"favorites\":8469,\"video_review\":1579}");
    }
    return out.append("]}").toString();
  }

  private static void asciiEscaped(StringBuilder out, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c == '/') {
        out.append("\\/");
      } else if (c < 0x20 || c > 0x7e) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
  }

  String rolldate(Part part, long nowMs) {
    StringBuilder out = new StringBuilder("[");
    List<Long> dates = rollDates(part, nowMs);
    long previous = 0;
    for (int i = 0; i < dates.size(); i++) {
      long n = part.arrived(dates.get(i) * 1000);
      out.append(i == 0 ? "" : ",").append("{\"timestamp\":\"").append(dates.get(i)).append("\",\"new\":\"")
          .append(n - previous).append("\"}");
      previous = n;
    }
    return out.append(']').toString();
  }

  /**
   * The pool XML as of {@code atMs}, recording the read in the ground truth. {@code wrongTypes}: every tenth
   * item gets a broken {@code p} (not served: the relay must skip it). {@code forbiddenChars}: every seventh item's
   * text carries characters XML 1.0 forbids (served: the relay must keep it).
   */
  byte[] poolXml(Part part, long atMs, boolean history, boolean wrongTypes, boolean forbiddenChars) {
    long[] w = part.window(atMs);
    StringBuilder xml = new StringBuilder(64 + (int) (w[1] - w[0]) * 110);
    xml.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?><i><chatserver>chat.bilibili.com</chatserver><chatid>")
        .append(part.spec.cid()).append("</chatid><mission>0</mission><maxlimit>").append(part.spec.maxLimit())
        .append("</maxlimit><state>0</state><real_name>0</real_name><source>k-v</source>");
    List<long[]> servedRanges = new ArrayList<>();
    long runStart = -1;
    for (long k = w[0]; k < w[1]; k++) {
      boolean broken = wrongTypes && k % 10 == 3;
      item(xml, part, k, broken);
      if (forbiddenChars && k % 7 == 2) {
        // Inside the text, before the closing tag: a raw backspace and a reference to U+0001.
        xml.insert(xml.length() - "</d>".length(), "\b&#1;");
      }
      if (broken) {
        if (runStart >= 0) {
          servedRanges.add(new long[] {runStart, k - 1});
        }
        runStart = -1;
      } else if (runStart < 0) {
        runStart = k;
      }
    }
    if (runStart >= 0) {
      servedRanges.add(new long[] {runStart, w[1] - 1});
    }
    xml.append("</i>");
    synchronized (this) {
      servedRanges.forEach(r -> merge(part, r));
      if (history) {
        part.historyReads++;
      } else {
        part.poolReads++;
      }
    }
    return xml.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The pool XML as of {@code atMs} for a faulty answer: not recorded as served. */
  byte[] poolXmlUnrecorded(Part part, long atMs) {
    long[] w = part.window(atMs);
    StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?><i><chatid>")
        .append(part.spec.cid()).append("</chatid><maxlimit>").append(part.spec.maxLimit()).append("</maxlimit>");
    for (long k = w[0]; k < w[1]; k++) {
      item(xml, part, k, false);
    }
    return xml.append("</i>").toString().getBytes(StandardCharsets.UTF_8);
  }

  private void item(StringBuilder xml, Part part, long k, boolean broken) {
    SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + part.spec.cid() * 1_000_003L + k);
    long uid = 1 + rng.nextLong(50_000_000);
    int[] modes = {1, 1, 1, 1, 1, 1, 4, 5, 6, 7};
    int mode = modes[rng.nextInt(modes.length)];
    int size = rng.nextInt(10) == 0 ? 18 : 25;
    long color = rng.nextInt(4) == 0 ? rng.nextInt(0x1000000) : 16777215;
    int progressMs = rng.nextInt((int) Math.max(1, part.spec.durationS() * 1000));
    CRC32 crc = new CRC32();
    crc.update(Long.toString(uid).getBytes(StandardCharsets.US_ASCII));
    // Seconds with five decimals, as the real pools write them.
    xml.append("<d p=\"").append(progressMs / 1000).append('.').append((char) ('0' + progressMs / 100 % 10))
        .append((char) ('0' + progressMs / 10 % 10)).append((char) ('0' + progressMs % 10)).append("00,")
        .append(broken ? "x" : Integer.toString(mode)).append(',').append(size).append(',').append(color).append(',')
        .append(part.arrivalMs(k) / 1000).append(",0,").append(Long.toHexString(crc.getValue())).append(',')
        .append(part.dmid(k)).append(",10\">");
    escape(xml, Vocabulary.text(rng, 0.2));
    xml.append("</d>");
  }

  static void escape(StringBuilder out, String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&apos;");
        default -> {
          if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            out.append(' ');
          } else {
            out.append(c);
          }
        }
      }
    }
  }

  private static void merge(Part part, long[] range) {
    long from = range[0];
    long to = range[1];
    long[] lower = part.served.floor(new long[] {from, 0});
    if (lower != null && lower[1] + 1 >= from) {
      part.served.remove(lower);
      from = lower[0];
      to = Math.max(to, lower[1]);
    }
    while (true) {
      long[] next = part.served.ceiling(new long[] {from, 0});
      if (next == null || next[0] > to + 1) {
        break;
      }
      part.served.remove(next);
      to = Math.max(to, next[1]);
    }
    part.served.add(new long[] {from, to});
  }

  static byte[] rawDeflate(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 3 + 64);
    try (DeflaterOutputStream z = new DeflaterOutputStream(out, new Deflater(Deflater.BEST_SPEED, true))) {
      z.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  // ---- ground truth ----

  private Part partOf(long cid) {
    return parts.get(cid);
  }

  /** Every dmid a served read held of one part (the danmaku a relay could have seen). */
  synchronized List<String> servedDmids(long cid) {
    Part part = parts.get(cid);
    List<String> out = new ArrayList<>();
    if (part != null) {
      for (long[] r : part.served) {
        for (long k = r[0]; k <= r[1]; k++) {
          out.add(part.dmid(k));
        }
      }
    }
    return out;
  }

  synchronized JsonArray statsJson(long nowMs) {
    JsonArray videos = new JsonArray();
    for (VideoSpec v : byAid.values()) {
      JsonArray partList = new JsonArray();
      for (PartSpec p : v.parts()) {
        Part part = parts.get(p.cid());
        long[] w = part.window(nowMs);
        JsonArray served = new JsonArray();
        long servedCount = 0;
        for (long[] r : part.served) {
          served.add(new JsonArray().add(part.dmid(r[0])).add(part.dmid(r[1])));
          servedCount += r[1] - r[0] + 1;
        }
        partList.add(new JsonObject().put("cid", p.cid()).put("page", p.page()).put("part", p.title())
            .put("duration", p.durationS()).put("maxlimit", p.maxLimit()).put("rate", p.rate())
            .put("created_at", part.createdAtMs).put("period_ms", part.periodMs)
            .put("generated", part.arrived(nowMs))
            .put("pool", new JsonArray().add(w[1] > w[0] ? part.dmid(w[0]) : null).add(w[1] > w[0] ? part.dmid(w[1] - 1) : null))
            .put("rolldates", rollDates(part, nowMs).size())
            .put("pool_reads", part.poolReads).put("history_reads", part.historyReads)
            .put("served", servedCount).put("served_ranges", served));
      }
      videos.add(new JsonObject().put("aid", v.aid()).put("bvid", v.bvid()).put("title", v.title())
          .put("episode", v.episode() > 0 ? v.episode() : null).put("parts", partList));
    }
    return videos;
  }

  synchronized JsonObject totals() {
    return new JsonObject().put("video_requests", requests).put("video_faults_served", faultsServed);
  }
}
