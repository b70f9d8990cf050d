package io.danmakurelay.sim;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * A stand-in Bilibili on loopback for demos, tests and benchmarks (SPEC section 7): the two poll APIs
 * and room_init for N simulated rooms, risk control, ordered faults, and {@code /sim/stats} with the
 * ground truth. Two HTTP verticle instances (one per event loop) share one thread-safe model.
 */
public final class Simulator {

  /** HTTP handler instances; the machine this targets has two cores. */
  static final int HTTP_INSTANCES = 2;

  /** The video {@code run --demo} follows: av170001 under its BV id, three parts. */
  public static final String DEMO_VIDEO = "BV17x411w7KC";

  private static final AtomicInteger RANDOM_PORT_KEYS = new AtomicInteger();

  private final Vertx vertx;
  private final SimulatorCore core;
  private final String deployment;
  private final int port;
  private final AtomicBoolean closed = new AtomicBoolean();

  private Simulator(Vertx vertx, SimulatorCore core, String deployment, int port) {
    this.vertx = vertx;
    this.core = core;
    this.deployment = deployment;
    this.port = port;
  }

  /** Starts the simulator's HTTP server (port 0: any free port). */
  public static Future<Simulator> start(Vertx vertx, SimulatorSettings settings) {
    return start(vertx, settings, System::currentTimeMillis);
  }

  /** As {@link #start(Vertx, SimulatorSettings)} with an injected clock (epoch ms), for tests. */
  public static Future<Simulator> start(Vertx vertx, SimulatorSettings settings, LongSupplier clock) {
    return start(vertx, settings, clock, null);
  }

  /**
   * As above, serving every endpoint over TLS with {@code tls} (a key and certificate, e.g. self-signed) when it
   * is not null: {@code https://} and {@code wss://}, as the real upstream is reached.
   */
  public static Future<Simulator> start(Vertx vertx, SimulatorSettings settings, LongSupplier clock,
      io.vertx.core.net.KeyCertOptions tls) {
    Objects.requireNonNull(settings, "settings");
    SimulatorCore core = new SimulatorCore(settings, clock);
    // Port 0 would give each instance its own random port; a negative port is Vert.x's way of asking
    // for one random port shared by every server that asks with the same negative number, so each
    // simulator takes a number of its own.
    int listenPort = settings.port() == 0 ? -RANDOM_PORT_KEYS.incrementAndGet() : settings.port();
    List<SimulatorHttpVerticle> instances = new CopyOnWriteArrayList<>();
    return vertx.deployVerticle(() -> {
          SimulatorHttpVerticle instance = new SimulatorHttpVerticle(core, listenPort, tls);
          instances.add(instance);
          return instance;
        }, new DeploymentOptions().setInstances(HTTP_INSTANCES))
        .map(id -> new Simulator(vertx, core, id, instances.get(0).actualPort()));
  }

  /** Config flags ({@code key=value}) pointing every {@code video.*Url} at a simulator on {@code base}. */
  public static List<String> videoUrlFlags(String base) {
    return List.of(
        "video.pagelistUrl=" + base + VideoRoutes.PAGELIST + "?aid={aid}",
        "video.archivesUrl=" + base + VideoRoutes.ARCHIVES + "?ids={aid}",
        "video.viewUrl=" + base + VideoRoutes.VIEW + "?bvid={bvid}",
        "video.episodeUrl=" + base + "/web_api/episode/{ep}.json",
        "video.commentUrl=" + base + "/{cid}.xml",
        "video.rolldateUrl=" + base + "/rolldate,{cid}",
        "video.dmrollUrl=" + base + "/dmroll,{timestamp},{cid}",
        "video.recommendUrl=" + base + VideoRoutes.RECOMMEND + "?aid={aid}");
  }

  /** The port actually bound. */
  public int port() {
    return port;
  }

  public SimulatorSettings settings() {
    return core.settings;
  }

  /** The same document as {@code GET /sim/stats}. */
  public JsonObject stats() {
    return stats(false);
  }

  /** The same document as {@code GET /sim/stats?messages=true} when {@code withMessages}. */
  public JsonObject stats(boolean withMessages) {
    return new JsonObject(core.statsJson(withMessages, null));
  }

  /** Ground truth of one room: every message generated so far (up to the memory cap), in order. */
  public List<SimMessage> messages(long realRoomId) {
    return core.model.messages(realRoomId, core.now());
  }

  /**
   * Ground truth of what a client could have seen by polling: the seqs ({@link SimMessage#seq}) of the room's
   * messages that some poll answer really served (faulty answers excluded) held in a window.
   */
  public java.util.BitSet polledSeqs(long realRoomId) {
    return core.model.polledSeqs(realRoomId);
  }

  /** Real room ids, busiest first. */
  public List<Long> roomIds() {
    return core.model.realIds();
  }

  /** The short id of a real room, 0 when it has none. */
  public long shortIdOf(long realRoomId) {
    return core.model.shortIdOf(realRoomId);
  }

  /** Sets a room's message rate (per second) from now on. */
  public void setRate(long realRoomId, double rate) {
    core.model.setRate(realRoomId, rate, core.now());
  }

  /** Stops message generation in every room until {@link #resume()}. */
  public void pause() {
    core.model.pause(core.now());
  }

  public void resume() {
    core.model.resume(core.now());
  }

  /** Bans every request from now for {@code seconds} (0 lifts a ban). */
  public void ban(int seconds) {
    core.risk.ban(core.now(), seconds);
  }

  /** Holds every upstream request arriving in the next {@code ms} and counts and serves it then (bunching). */
  public void stall(long ms) {
    core.control(new JsonObject().put("op", "stall").put("ms", ms));
  }

  /** Makes the next {@code count} poll answers of a room (null: of any room) faulty. */
  public void fault(Long realRoomId, FaultMode mode, int count) {
    if (realRoomId != null && !core.model.isRealId(realRoomId)) {
      throw new IllegalArgumentException("no room with real id " + realRoomId);
    }
    core.faults.order(realRoomId, mode, count);
  }

  /** Applies a {@code POST /sim/control} operation; IllegalArgumentException when it is malformed. */
  public JsonObject control(JsonObject op) {
    return core.control(op);
  }

  /** The ground truth of every push connection served so far, in the order they opened. */
  public List<PushConnectionStats> pushConnections() {
    return core.push.snapshot();
  }

  /** {@link #pushConnections()} of one room (its real id). */
  public List<PushConnectionStats> pushConnections(long realRoomId) {
    return pushConnections().stream().filter(c -> c.room() == realRoomId).toList();
  }

  /** {@link #pushConnections(long)} that authenticated. */
  public List<PushConnectionStats> authedPushConnections(long realRoomId) {
    return pushConnections(realRoomId).stream().filter(c -> c.authedAt() > 0).toList();
  }

  /** The push part of {@code /sim/stats?push=true}. */
  public JsonObject pushStats() {
    return core.push.statsJson(true);
  }

  /** Ground truth of one video part: every dmid that a served pool or dmroll read held, oldest first. */
  public List<String> videoServedDmids(long cid) {
    return core.videos.servedDmids(cid);
  }

  /** The aids of the simulated videos (uploads and the bangumi episode's). */
  public List<Long> videoAids() {
    return core.videos.aids();
  }

  /** Makes the next {@code count} answers about a video id (aid, cid or episode id) faulty. */
  public void videoFault(long id, VideoFault mode, int count) {
    core.control(new JsonObject().put("op", "video-fault").put("id", id).put("mode", mode.wireName()).put("count", count));
  }

  /** The uploader of video {@code aid} changes its title: its metadata changes (SPEC §4 metadata record). */
  public void videoRetitle(long aid, String title) {
    core.control(new JsonObject().put("op", "video-retitle").put("aid", aid).put("title", title));
  }

  /** Stops serving; pending slow answers are dropped. Calling it again does nothing. */
  public Future<Void> close() {
    if (!closed.compareAndSet(false, true)) {
      return Future.succeededFuture();
    }
    return vertx.undeploy(deployment);
  }
}
