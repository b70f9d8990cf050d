package io.danmakurelay.fanout;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * The WebSocket fan-out: per-room sequence numbers and history, subscriptions, resume, slow-client
 * cut-off. Lives on the web verticle's event loop. API STUB - to be implemented.
 */
public final class Fanout {

  public Fanout(Vertx vertx, FanoutSettings settings, MeterRegistry registry) {
    throw new UnsupportedOperationException("stub");
  }

  /** Hands one published message (the Kafka record value) to the room's subscribers. */
  public void publish(long roomId, JsonObject recordValue) {
    throw new UnsupportedOperationException("stub");
  }

  /** The handler to mount at {@code GET /ws}. */
  public Handler<RoutingContext> webSocketHandler() {
    throw new UnsupportedOperationException("stub");
  }

  /** Open WebSocket connections. */
  public int connections() {
    throw new UnsupportedOperationException("stub");
  }

  /** Closes every connection. */
  public void close() {
    throw new UnsupportedOperationException("stub");
  }
}
