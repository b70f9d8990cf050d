package io.danmakurelay.dedupe;

import io.danmakurelay.upstream.Danmaku;

/** A message seen for the first time, with its stable dedupe id (the Kafka record's {@code id}). */
public record FreshMessage(Danmaku danmaku, String id) {}
