package io.danmakurelay.pipeline;

import io.vertx.core.json.JsonObject;

/**
 * One fresh message a source found: the record value of SPEC §4 without {@code seq} (the pipeline adds
 * it), and its upstream time for the publish-delay histogram.
 *
 * @param value        the record value (owned by the pipeline from here on: the source must not change it)
 * @param upstreamTsMs when the upstream says it was sent (epoch ms), 0 when unknown
 */
public record SourceItem(JsonObject value, long upstreamTsMs) {}
