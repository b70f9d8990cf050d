package io.danmakurelay;

/** Every event-bus address of the relay, in one place. All are local to the process. */
public final class Addresses {

  /** Request (web to poller): the rooms and their state; answers {@code {"rooms":[...]}}. */
  public static final String ROOMS_LIST = "relay.rooms.list";
  /** Request (web to poller): {@code {"room":ID}}; answers the room's entry. */
  public static final String ROOMS_ADD = "relay.rooms.add";
  /** Request (web to poller): {@code {"room":ID}}; answers {@code {"removed":bool}}. */
  public static final String ROOMS_REMOVE = "relay.rooms.remove";
  /** Request (web to poller): the poller's health facts. */
  public static final String POLLER_STATUS = "relay.poller.status";

  /**
   * Published (fan-out to poller): {@code {"room":REAL_ID,"watched":BOOL}} when a room gains its first
   * WebSocket subscriber or loses its last; a watched room is polled within {@code poll.watchedMaxDelayMs}.
   */
  public static final String ROOM_WATCHED = "relay.rooms.watched";
  /** Request (web to video reader): the videos and their parts; answers {@code {"videos":[...]}}. */
  public static final String VIDEOS_LIST = "relay.videos.list";
  /** Request (web to video reader): {@code {"video":ID}}; answers the video's entry. */
  public static final String VIDEOS_ADD = "relay.videos.add";
  /** Request (web to video reader): {@code {"video":ID}}; answers {@code {"removed":bool}}. */
  public static final String VIDEOS_REMOVE = "relay.videos.remove";

  private Addresses() {}
}
