package io.danmakurelay.fanout;

import io.danmakurelay.web.Endpoints;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A real HTTP server on 127.0.0.1, port 0, with a {@link Fanout} at {@code GET /ws}, deployed as a
 * verticle and listened on every fan-out shard, as in the relay's web verticle.
 */
final class FanoutServer extends VerticleBase {
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final FanoutSettings settings;
  private final FanoutLimits limits;
  private final HttpServerOptions serverOptions;
  private final Consumer<Router> extraRoutes;
  private final int shards;
  Fanout fanout;
  private HttpServer server;

  FanoutServer(FanoutSettings settings, FanoutLimits limits, HttpServerOptions serverOptions,
               Consumer<Router> extraRoutes, int shards) {
    this.shards = shards;
    this.settings = settings;
    this.limits = limits;
    this.serverOptions = serverOptions;
    this.extraRoutes = extraRoutes;
  }

  static FanoutServer start(Vertx vertx, FanoutSettings settings, FanoutLimits limits) {
    return start(vertx, settings, limits, new HttpServerOptions(), router -> { });
  }

  /** With exactly {@code shards} fan-out shards (event loops). */
  static FanoutServer start(Vertx vertx, FanoutSettings settings, FanoutLimits limits, int shards) {
    return start(vertx, settings, limits, new HttpServerOptions(), router -> { }, shards);
  }

  static FanoutServer start(Vertx vertx, FanoutSettings settings, FanoutLimits limits,
                            HttpServerOptions serverOptions, Consumer<Router> extraRoutes) {
    return start(vertx, settings, limits, serverOptions, extraRoutes, Runtime.getRuntime().availableProcessors());
  }

  static FanoutServer start(Vertx vertx, FanoutSettings settings, FanoutLimits limits,
                            HttpServerOptions serverOptions, Consumer<Router> extraRoutes, int shards) {
    FanoutServer verticle = new FanoutServer(settings, limits, serverOptions, extraRoutes, shards);
    try {
      vertx.deployVerticle(verticle).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("test server did not start", e);
    }
    return verticle;
  }

  @Override
  public Future<?> start() {
    fanout = new Fanout(vertx, settings, registry, limits, System::nanoTime, shards);
    Router router = Router.router(vertx);
    router.get(Endpoints.WS).handler(fanout.webSocketHandler());
    extraRoutes.accept(router);
    return fanout.listen(new HttpServerOptions(serverOptions).setHost("127.0.0.1").setPort(0), router)
        .onSuccess(s -> server = s);
  }

  @Override
  public Future<?> stop() {
    return fanout.close().eventually(() -> server.close());
  }

  io.vertx.core.Context context() {
    return context;
  }

  int port() {
    return server.actualPort();
  }

  double counter(String name, String... tags) {
    var counter = registry.find(name).tags(tags).counter();
    return counter == null ? 0 : counter.count();
  }
}
