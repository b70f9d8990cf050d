package io.danmakurelay.video;

import io.vertx.core.json.JsonObject;

/** A video's {@code archives} entry (SPEC §1c), fields missing upstream left empty or 0. */
public record VideoInfo(long aid, int videos, long tid, String tname, String title, long pubdate, String desc,
    long duration, long ownerMid, String ownerName, JsonObject stat) {}
