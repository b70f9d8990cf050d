package io.danmakurelay.poll;

/**
 * What one successful poll of a room showed, for the strategy's rate estimate.
 *
 * @param fresh        messages in the answer not seen before (both lists)
 * @param windowSize   items in the larger of the two lists (10 means the window was full)
 * @param gap          a full window shared nothing with the previous one: messages were probably lost
 * @param oldestTsMs   epoch ms of the oldest item in the room list (0 when empty)
 * @param newestTsMs   epoch ms of the newest item in the room list (0 when empty)
 */
public record PollObservation(int fresh, int windowSize, boolean gap, long oldestTsMs, long newestTsMs) {}
