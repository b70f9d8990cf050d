package io.danmakurelay.video;

import java.util.List;

/**
 * A parsed pool: its {@code <chatid>}, {@code <maxlimit>} (0 when absent), the danmaku in document order,
 * and how many items were skipped because their {@code p} was bad (with the first reason, for the log).
 */
public record Pool(long chatId, int maxLimit, List<PoolDanmaku> danmaku, int badItems, String firstBadReason) {

  /** Whether the pool holds as many danmaku as it can: new ones push the oldest out. */
  public boolean full() {
    return maxLimit > 0 && danmaku.size() + badItems >= maxLimit;
  }
}
