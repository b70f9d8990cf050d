package io.danmakurelay.video;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The metadata record of SPEC §4 ({@code kafka.videoMetaTopic}, key {@code av<aid>}) built from what the
 * video endpoints said, and a fingerprint of it without {@code fetched_at}, so it is written again only when
 * something in it changed.
 */
public final class VideoMeta {

  private VideoMeta() {}

  public static String key(long aid) {
    return "av" + aid;
  }

  public static JsonObject record(VideoInfo info, String bvid, List<VideoPart> parts, Episode episode,
      List<Related> related, long fetchedAtMs) {
    JsonArray pages = new JsonArray();
    for (VideoPart p : parts) {
      pages.add(new JsonObject().put("cid", p.cid()).put("page", p.page()).put("part", p.part()).put("duration", p.duration()));
    }
    JsonArray relatedIds = new JsonArray();
    related.forEach(r -> relatedIds.add(r.aid()));
    JsonObject ep = episode == null ? null : new JsonObject().put("ep", episode.ep()).put("season_id", episode.seasonId())
        .put("index", episode.index()).put("title", episode.longTitle()).put("season_title", episode.seasonTitle())
        .put("season", episode.title());
    return new JsonObject()
        .put("aid", info.aid())
        .put("bvid", bvid)
        .put("title", info.title())
        .put("owner", new JsonObject().put("mid", info.ownerMid()).put("name", info.ownerName()))
        .put("pubdate", info.pubdate())
        .put("duration", info.duration())
        .put("tname", info.tname())
        .put("desc", info.desc())
        .put("stat", info.stat().copy())
        .put("pages", pages)
        .put("episode", ep)
        .put("related", relatedIds)
        .put("fetched_at", fetchedAtMs);
  }

  /** What decides whether the record changed: all of it but {@code fetched_at}. */
  public static String fingerprint(JsonObject record) {
    JsonObject copy = record.copy();
    copy.remove("fetched_at");
    try {
      // A digest, not a 32-bit hash: a change whose hash collided would never be written.
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(copy.toBuffer().getBytes());
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }
}
