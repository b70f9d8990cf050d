package io.danmakurelay.sim;

import io.danmakurelay.upstream.DanmakuList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The simulated live rooms: who says what when. Pure and deterministic (time is passed in as epoch ms,
 * every random choice comes from a per-room seeded stream), thread-safe (each room is guarded by its own
 * lock, so HTTP handlers on several event loops can share one model). Each room is a Poisson process
 * that is generated lazily up to the time it is looked at; because the process is memoryless, redrawing
 * the next arrival on a rate change, pause or resume does not distort it.
 */
public final class TrafficModel {

  /** Real room ids are {@code FIRST_REAL_ID + index}; short ids, where given, are {@code index + 1}. */
  public static final long FIRST_REAL_ID = 1_000_001L;
  /** Both lists show at most this many messages, like the real windows. */
  public static final int WINDOW = 10;

  private static final int VIEWERS = 5_000;
  private static final int ADMINS_PER_ROOM = 3;
  private static final double TRICKY_SHARE = 0.15;

  private final Room[] rooms;
  private final long[] viewerUids;
  private final String[] viewerNicknames;
  private final double repeatProbability;
  private final double adminFraction;
  private final int shortIdRooms;
  private final long messageCap;
  private final long startMs;
  private final AtomicLong keptMessages = new AtomicLong();
  private volatile long pausedAtMs = Long.MAX_VALUE;

  public TrafficModel(SimulatorSettings settings, long startMs) {
    this.repeatProbability = settings.repeatProbability();
    this.adminFraction = settings.adminFraction();
    this.shortIdRooms = Math.min(settings.shortIdRooms(), settings.rooms());
    this.messageCap = settings.messageCap();
    this.startMs = startMs;
    SplittableRandom viewerRng = new SplittableRandom(settings.seed());
    viewerUids = new long[VIEWERS];
    viewerNicknames = new String[VIEWERS];
    for (int v = 0; v < VIEWERS; v++) {
      viewerUids[v] = 10_000_000L + viewerRng.nextLong(1_000_000_000L);
      viewerNicknames[v] = Vocabulary.nickname(viewerRng, viewerUids[v]);
    }
    double[] rates = zipfRates(settings.rooms(), settings.totalRate(), settings.zipf());
    rooms = new Room[settings.rooms()];
    for (int i = 0; i < rooms.length; i++) {
      rooms[i] = new Room(i, FIRST_REAL_ID + i, i < shortIdRooms ? i + 1 : 0,
          new SplittableRandom(mix(settings.seed(), i)), rates[i], startMs);
    }
  }

  /** rate_k = total * k^-s / H(N, s), for k = 1..N: room 1 is the busiest. */
  public static double[] zipfRates(int n, double totalRate, double s) {
    double harmonic = 0;
    for (int k = 1; k <= n; k++) {
      harmonic += Math.pow(k, -s);
    }
    double[] rates = new double[n];
    for (int k = 1; k <= n; k++) {
      rates[k - 1] = totalRate * Math.pow(k, -s) / harmonic;
    }
    return rates;
  }

  public int roomCount() {
    return rooms.length;
  }

  public long startMs() {
    return startMs;
  }

  /** Real ids in Zipf order (busiest first). */
  public List<Long> realIds() {
    List<Long> ids = new ArrayList<>(rooms.length);
    for (Room r : rooms) {
      ids.add(r.realId);
    }
    return ids;
  }

  public boolean isRealId(long id) {
    return indexOfReal(id) >= 0;
  }

  /** Short or real id to real id, or -1 when no room has that id. */
  public long resolve(long anyId) {
    if (isRealId(anyId)) {
      return anyId;
    }
    if (anyId >= 1 && anyId <= shortIdRooms) {
      return FIRST_REAL_ID + anyId - 1;
    }
    return -1;
  }

  /** The short id of a real room, or 0 when it has none. */
  public long shortIdOf(long realId) {
    return room(realId).shortId;
  }

  /** The uid of the room's streamer. */
  public long anchorUidOf(long realId) {
    return anchorUid(room(realId).index);
  }

  public boolean paused() {
    return pausedAtMs != Long.MAX_VALUE;
  }

  /** Stops generation at {@code nowMs} in every room until {@link #resume}. */
  public void pause(long nowMs) {
    if (pausedAtMs == Long.MAX_VALUE) {
      pausedAtMs = nowMs;
    }
  }

  public void resume(long nowMs) {
    long pausedAt = pausedAtMs;
    if (pausedAt == Long.MAX_VALUE) {
      return;
    }
    for (Room r : rooms) {
      synchronized (r) {
        advance(r, nowMs);
        r.scheduleFrom(Math.max(nowMs, pausedAt));
      }
    }
    pausedAtMs = Long.MAX_VALUE;
  }

  /** Sets a room's rate (messages/s) from {@code nowMs} on: a room going live, or going quiet (0). */
  public void setRate(long realId, double rate, long nowMs) {
    if (!(rate >= 0) || Double.isInfinite(rate)) {
      throw new IllegalArgumentException("rate must be a finite number >= 0, got " + rate);
    }
    Room r = room(realId);
    synchronized (r) {
      advance(r, nowMs);
      r.rate = rate;
      r.scheduleFrom(Math.max(nowMs, r.generatedUpTo));
    }
  }

  public double rateOf(long realId) {
    Room r = room(realId);
    synchronized (r) {
      return r.rate;
    }
  }

  /** The current window of one list (at most 10, oldest first), after generating up to {@code nowMs}. */
  public List<SimMessage> window(long realId, DanmakuList list, long nowMs) {
    Room r = room(realId);
    synchronized (r) {
      advance(r, nowMs);
      return r.windowOf(list).messages();
    }
  }

  /**
   * The body of a poll answer for the room at {@code nowMs}, rendered as the legacy or the modern API.
   * Cached until the window changes, so repeated polls of a quiet room cost a lookup.
   */
  public String pollBody(long realId, boolean modern, long nowMs) {
    Room r = room(realId);
    synchronized (r) {
      advance(r, nowMs);
      r.polls++;
      String body = modern ? r.modernBody : r.legacyBody;
      if (body == null) {
        body = PayloadWriter.pollBody(r.admin.items(modern), r.room.items(modern));
        if (modern) {
          r.modernBody = body;
        } else {
          r.legacyBody = body;
        }
      }
      return body;
    }
  }

  /**
   * As {@link #pollBody}, for an answer really served: every message of both windows is marked as served by a
   * poll, so the ground truth can tell what a client could have seen without the push stream.
   */
  public String servePoll(long realId, boolean modern, long nowMs) {
    Room r = room(realId);
    synchronized (r) {
      String body = pollBody(realId, modern, nowMs);
      r.room.markServed(r.polled);
      r.admin.markServed(r.polled);
      return body;
    }
  }

  /** The seqs of the room's messages that some served poll answer held ({@link #servePoll}). */
  public BitSet polledSeqs(long realId) {
    Room r = room(realId);
    synchronized (r) {
      return (BitSet) r.polled.clone();
    }
  }

  /**
   * Calls {@code listener} with every message the room generates from {@code nowMs} on, whoever makes the
   * model generate it (a poll, the stats, the push stream's ticker). The listener runs under the room's
   * lock: it must only hand the message on. Closing the handle stops the calls.
   */
  public AutoCloseable subscribe(long realId, long nowMs, Consumer<SimMessage> listener) {
    Room r = room(realId);
    synchronized (r) {
      advance(r, nowMs);
      r.listeners.add(listener);
    }
    return () -> {
      synchronized (r) {
        r.listeners.remove(listener);
      }
    };
  }

  /** Generates the room's messages up to {@code nowMs} (so that subscribers see them). */
  public void advanceTo(long realId, long nowMs) {
    Room r = room(realId);
    synchronized (r) {
      advance(r, nowMs);
    }
  }

  /** Counts a faulty answer given for the room instead of its window. */
  public void countFault(long realId) {
    Room r = room(realId);
    synchronized (r) {
      r.faults++;
    }
  }

  /** Generates every room up to {@code nowMs} and reports its counters (and, if asked, its messages). */
  public List<RoomSnapshot> snapshot(long nowMs, boolean withMessages) {
    List<RoomSnapshot> out = new ArrayList<>(rooms.length);
    for (Room r : rooms) {
      synchronized (r) {
        advance(r, nowMs);
        out.add(new RoomSnapshot(r.realId, r.shortId, r.rate, r.generatedRoom, r.generatedAdmin,
            r.polls, r.faults, withMessages ? List.copyOf(r.kept) : List.of(), (BitSet) r.polled.clone()));
      }
    }
    return out;
  }

  /** The messages kept for one room, in generation order, after generating up to {@code nowMs}. */
  public List<SimMessage> messages(long realId, long nowMs) {
    Room r = room(realId);
    synchronized (r) {
      advance(r, nowMs);
      return List.copyOf(r.kept);
    }
  }

  public long keptMessages() {
    return keptMessages.get();
  }

  public long messageCap() {
    return messageCap;
  }

  /** One room's counters at a point in time. */
  public record RoomSnapshot(
      long realId,
      long shortId,
      double rate,
      long generatedRoom,
      long generatedAdmin,
      long polls,
      long faults,
      List<SimMessage> messages,
      BitSet polledSeqs) {

    public long generated() {
      return generatedRoom + generatedAdmin;
    }
  }

  private Room room(long realId) {
    int index = indexOfReal(realId);
    if (index < 0) {
      throw new IllegalArgumentException("no room with real id " + realId);
    }
    return rooms[index];
  }

  private int indexOfReal(long id) {
    long index = id - FIRST_REAL_ID;
    return index >= 0 && index < rooms.length ? (int) index : -1;
  }

  private static long anchorUid(int index) {
    return 900_000_000L + index;
  }

  /** Emits every arrival with time <= now (or <= the pause instant); the caller holds the room's lock. */
  private void advance(Room r, long nowMs) {
    long limit = Math.min(nowMs, pausedAtMs);
    while (r.nextEventMs <= limit) {
      long ts = (long) Math.floor(r.nextEventMs);
      emit(r, ts);
      r.nextEventMs += r.gapMs();
    }
    if (limit > r.generatedUpTo) {
      r.generatedUpTo = limit;
    }
  }

  private void emit(Room r, long ts) {
    SplittableRandom rng = r.rng;
    boolean admin = rng.nextDouble() < adminFraction;
    long uid;
    String nickname;
    if (admin) {
      int a = rng.nextInt(ADMINS_PER_ROOM);
      uid = 500_000_000L + r.index * 10L + a;
      nickname = "房管" + (a + 1) + "号";
    } else {
      int v = rng.nextInt(VIEWERS);
      uid = viewerUids[v];
      nickname = viewerNicknames[v];
    }
    String text = Vocabulary.text(rng, TRICKY_SHARE);
    long bits = rng.nextLong();
    DanmakuList list = admin ? DanmakuList.ADMIN : DanmakuList.ROOM;
    add(r, new SimMessage(r.realId, r.seq++, list, uid, nickname, text, ts, bits, false));
    if (rng.nextDouble() < repeatProbability) {
      add(r, new SimMessage(r.realId, r.seq++, list, uid, nickname, text, ts, bits, true));
    }
  }

  private void add(Room r, SimMessage m) {
    if (m.list() == DanmakuList.ADMIN) {
      r.generatedAdmin++;
      r.admin.push(m);
    } else {
      r.generatedRoom++;
      r.room.push(m);
    }
    r.legacyBody = null;
    r.modernBody = null;
    for (int i = 0; i < r.listeners.size(); i++) {
      r.listeners.get(i).accept(m);
    }
    if (keptMessages.get() < messageCap && keptMessages.incrementAndGet() <= messageCap) {
      r.kept.add(m);
    }
  }

  private static long mix(long seed, int index) {
    long z = seed + 0x9E3779B97F4A7C15L * (index + 1);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** One room's mutable state; every access holds the room's monitor. */
  private static final class Room {
    final int index;
    final long realId;
    final long shortId;
    final SplittableRandom rng;
    final Window room = new Window();
    final Window admin = new Window();
    final List<SimMessage> kept = new ArrayList<>();
    final List<Consumer<SimMessage>> listeners = new ArrayList<>(2);
    final BitSet polled = new BitSet();
    double rate;
    double nextEventMs;
    long generatedUpTo;
    int seq;
    long generatedRoom;
    long generatedAdmin;
    long polls;
    long faults;
    String legacyBody;
    String modernBody;

    Room(int index, long realId, long shortId, SplittableRandom rng, double rate, long startMs) {
      this.index = index;
      this.realId = realId;
      this.shortId = shortId;
      this.rng = rng;
      this.rate = rate;
      this.generatedUpTo = startMs;
      scheduleFrom(startMs);
    }

    Window windowOf(DanmakuList list) {
      return list == DanmakuList.ADMIN ? admin : room;
    }

    void scheduleFrom(long fromMs) {
      nextEventMs = fromMs + gapMs();
    }

    /** An exponential inter-arrival time; infinite for a silent room. */
    double gapMs() {
      if (rate <= 0) {
        return Double.POSITIVE_INFINITY;
      }
      return -Math.log(1.0 - rng.nextDouble()) / rate * 1000.0;
    }
  }

  /** The last {@link #WINDOW} messages of one list, with their rendered items cached. */
  private static final class Window {
    private final SimMessage[] messages = new SimMessage[WINDOW];
    private final String[] legacy = new String[WINDOW];
    private final String[] modern = new String[WINDOW];
    private int size;
    private int head;

    void push(SimMessage m) {
      int slot = (head + size) % WINDOW;
      if (size == WINDOW) {
        slot = head;
        head = (head + 1) % WINDOW;
      } else {
        size++;
      }
      messages[slot] = m;
      legacy[slot] = null;
      modern[slot] = null;
    }

    void markServed(BitSet served) {
      for (int i = 0; i < size; i++) {
        served.set(messages[(head + i) % WINDOW].seq());
      }
    }

    List<SimMessage> messages() {
      SimMessage[] out = new SimMessage[size];
      for (int i = 0; i < size; i++) {
        out[i] = messages[(head + i) % WINDOW];
      }
      return Collections.unmodifiableList(Arrays.asList(out));
    }

    List<String> items(boolean modernApi) {
      String[] cache = modernApi ? modern : legacy;
      String[] out = new String[size];
      for (int i = 0; i < size; i++) {
        int slot = (head + i) % WINDOW;
        if (cache[slot] == null) {
          SimMessage m = messages[slot];
          long anchor = anchorUid((int) (m.roomId() - FIRST_REAL_ID));
          cache[slot] = modernApi ? PayloadWriter.modernItem(m, anchor) : PayloadWriter.legacyItem(m, anchor);
        }
        out[i] = cache[slot];
      }
      return Arrays.asList(out);
    }
  }
}
