package io.danmakurelay.video;

/** A bangumi episode ({@code episode/{ep}.json}): its aid and cid, and where it sits in its season. */
public record Episode(long ep, long aid, long cid, String index, String longTitle, long seasonId, String seasonTitle,
    String title) {}
