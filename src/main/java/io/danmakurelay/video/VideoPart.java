package io.danmakurelay.video;

/** One part of a video as {@code pagelist} lists it. */
public record VideoPart(long cid, int page, String part, long duration) {}
