package io.danmakurelay.pipeline;

import io.danmakurelay.dedupe.FreshMessage;
import io.danmakurelay.upstream.Danmaku;
import io.vertx.core.json.JsonObject;

/**
 * The record values of SPEC §4 that every source produces and every reader (Kafka consumers, the
 * fan-out, the dashboard) reads: the same JSON goes to Kafka and, inside a {@code danmaku} frame, to
 * WebSocket clients.
 */
public final class RecordValues {

  private RecordValues() {}

  /** A live room's chat message, before the pipeline adds its {@code seq}. */
  public static JsonObject danmaku(long roomId, FreshMessage message, long fetchedAtMs) {
    Danmaku d = message.danmaku();
    // Its fields appended (distinct names, room for the seq the pipeline adds); raw as the item's own bytes when
    // the parser kept them, so the sink writes them in place instead of serialising a tree of the item again.
    return new JsonObject(new FieldMap(11)
        .append("room_id", roomId)
        .append("id", message.id())
        .append("list", d.list().wireName())
        .append("uid", d.uid())
        .append("nickname", d.nickname())
        .append("text", d.text())
        .append("timeline", d.timeline())
        .append("ts", d.ts())
        .append("fetched_at", fetchedAtMs)
        .append("raw", d.rawBytes() != null ? new RawJson(d.rawBytes()) : d.raw()));
  }

  /** A room's message as a {@link SourceItem}. */
  public static SourceItem danmakuItem(long roomId, FreshMessage message, long fetchedAtMs) {
    return new SourceItem(danmaku(roomId, message, fetchedAtMs), message.danmaku().ts());
  }

  /**
   * The fields every danmaku of one video part starts with ({@code cid}, {@code aid}, {@code bvid}, {@code page}):
   * built once per read and shared by its values, so the sink encodes them once per batch.
   */
  public static FieldMap.Head videoPart(long cid, long aid, String bvid, int page) {
    return new FieldMap.Head(new FieldMap(4)
        .append("cid", cid)
        .append("aid", aid)
        .append("bvid", bvid)
        .append("page", page));
  }

  /**
   * A video part's danmaku (SPEC §4, {@code kafka.videoTopic}, key = cid): each {@code dmid} once, with the
   * {@code p} attribute as received under {@code raw}. Not numbered: video parts have no seq.
   */
  public static JsonObject videoDanmaku(long cid, long aid, String bvid, int page, String dmid, long progressMs,
      int mode, int fontsize, long color, long ctime, int pool, String senderHash, String text, long fetchedAtMs,
      String rawP) {
    return videoDanmaku(videoPart(cid, aid, bvid, page), dmid, progressMs, mode, fontsize, color, ctime, pool,
        senderHash, text, fetchedAtMs, rawP);
  }

  /** The same on the part's shared {@link #videoPart head}: one {@link VideoDanmakuValue}, which the sink encodes. */
  public static JsonObject videoDanmaku(FieldMap.Head part, String dmid, long progressMs, int mode, int fontsize,
      long color, long ctime, int pool, String senderHash, String text, long fetchedAtMs, String rawP) {
    return new JsonObject(VideoDanmakuValue.of(part, dmid, progressMs, mode, fontsize, color, ctime, pool, senderHash,
        text, fetchedAtMs, rawP));
  }
}
