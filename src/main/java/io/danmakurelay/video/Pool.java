package io.danmakurelay.video;

import java.util.List;

/**
 * A parsed pool: its {@code <chatid>}, {@code <maxlimit>} (0 when absent), the danmaku in document order,
 * how many items were skipped because their {@code p} was bad (with the first reason, for the log), and how many
 * characters XML 1.0 forbids were replaced by U+FFFD so that the rest of the pool could be read.
 */
public record Pool(long chatId, int maxLimit, List<PoolDanmaku> danmaku, int badItems, String firstBadReason,
    int replacedChars) {

  public Pool(long chatId, int maxLimit, List<PoolDanmaku> danmaku, int badItems, String firstBadReason) {
    this(chatId, maxLimit, danmaku, badItems, firstBadReason, 0);
  }

  /** Whether the pool holds as many danmaku as it can: new ones push the oldest out. */
  public boolean full() {
    return maxLimit > 0 && danmaku.size() + badItems >= maxLimit;
  }
}
