package io.danmakurelay.video;

/** One date of a part's history ({@code rolldate}): the {@code dmroll} timestamp and its count of new danmaku. */
public record RollDate(long timestamp, long newCount) {}
