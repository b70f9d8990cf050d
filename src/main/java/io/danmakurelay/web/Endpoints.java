package io.danmakurelay.web;

/**
 * The relay's HTTP paths (SPEC §5), in one place: the routes mount these and tests use them. The pages read
 * them from {@code webroot/endpoints.js} ({@link #SCRIPT}), whose text {@code EndpointsTest} checks is
 * exactly {@link #script()}: change a path here and that test says what the file must become.
 */
public final class Endpoints {

  public static final String WS = "/ws";
  public static final String METRICS = "/metrics";
  public static final String HEALTH = "/health";
  public static final String API = "/api";
  public static final String API_ALL = API + "/*";
  public static final String ROOMS = API + "/rooms";
  public static final String ROOM = ROOMS + "/:id";
  public static final String VIDEOS = API + "/videos";
  public static final String VIDEO = VIDEOS + "/:id";
  public static final String STATS = API + "/stats";
  public static final String CLUSTER = API + "/cluster";
  public static final String OVERLAY = "/overlay";
  /** The static script that gives the pages these paths as {@code window.ENDPOINTS}. */
  public static final String SCRIPT = "/endpoints.js";

  private Endpoints() {
  }

  /** {@code /api/rooms/ID}. */
  public static String room(long id) {
    return ROOMS + "/" + id;
  }

  /** {@code /api/videos/ID}. */
  public static String video(String id) {
    return VIDEOS + "/" + id;
  }

  /** What {@code webroot/endpoints.js} holds. */
  static String script() {
    return "window.ENDPOINTS = Object.freeze({ws: '" + WS + "', rooms: '" + ROOMS + "', videos: '" + VIDEOS
        + "', stats: '" + STATS + "', overlay: '" + OVERLAY + "', metrics: '" + METRICS + "', health: '" + HEALTH
        + "'});\n";
  }
}
