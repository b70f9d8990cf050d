package io.danmakurelay.video;

/** One video of {@code author_recommend}. */
public record Related(long aid, String title) {}
