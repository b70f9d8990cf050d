package io.danmakurelay.sim;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/** A stand-in Bilibili on loopback for demos, tests and benchmarks. API STUB - to be implemented. */
public final class Simulator {

  private Simulator() {}

  /** Starts the simulator's HTTP server (port 0: any free port). */
  public static Future<Simulator> start(Vertx vertx, SimulatorSettings settings) {
    throw new UnsupportedOperationException("stub");
  }

  /** The port actually bound. */
  public int port() {
    throw new UnsupportedOperationException("stub");
  }

  /** The same document as {@code GET /sim/stats}. */
  public JsonObject stats() {
    throw new UnsupportedOperationException("stub");
  }

  public Future<Void> close() {
    throw new UnsupportedOperationException("stub");
  }
}
