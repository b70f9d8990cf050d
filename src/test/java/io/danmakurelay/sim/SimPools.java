package io.danmakurelay.sim;

/** The simulator's pool documents for tests outside this package (the same bytes its HTTP route serves, inflated). */
public final class SimPools {

  private SimPools() {}

  /**
   * Part {@code cid}'s pool {@code afterMs} after a catalog seeded with {@code seed} started at {@code startMs};
   * {@code wrongTypes} and {@code forbiddenChars} as the simulator's faults of those names.
   */
  public static byte[] pool(long seed, long startMs, long cid, long afterMs, boolean wrongTypes,
      boolean forbiddenChars) {
    VideoCatalog catalog = new VideoCatalog(seed, startMs);
    return catalog.poolXml(catalog.part(cid), startMs + afterMs, false, wrongTypes, forbiddenChars);
  }

  /** The same pool as the simulator sends it: raw deflate. */
  public static byte[] rawDeflated(byte[] xml) {
    return VideoCatalog.rawDeflate(xml);
  }
}
