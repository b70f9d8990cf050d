package io.danmakurelay.video;

/**
 * One {@code <d p="...">text</d>} of a pool, every field of {@code p} checked (SPEC §1c).
 *
 * @param dmid       field 8, the danmaku's unique id (digits)
 * @param progressMs field 1, where in the video it appears, in ms
 * @param rawP       the {@code p} attribute exactly as received
 */
public record PoolDanmaku(String dmid, long progressMs, int mode, int fontsize, long color, long ctime, int pool,
    String senderHash, String text, String rawP) {}
