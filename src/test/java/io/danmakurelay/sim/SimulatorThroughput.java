package io.danmakurelay.sim;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Not a test: a load check that measures how many poll requests per second an in-process simulator
 * serves. Run with {@code java -cp target/classes:target/test-classes:$(deps) io.danmakurelay.sim.SimulatorThroughput
 * [seconds] [connections]}. Client and server share the machine, so the figure is a lower bound.
 */
public final class SimulatorThroughput {

  private static final Logger log = LoggerFactory.getLogger(SimulatorThroughput.class);

  private SimulatorThroughput() {}

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int connections = args.length > 1 ? Integer.parseInt(args[1]) : 16;
    Vertx vertx = Vertx.vertx();
    Simulator sim = Simulator.start(vertx, SimulatorSettings.defaults(0, 100, 500, 42)).await(10, TimeUnit.SECONDS);
    HttpClientAgent client = vertx.createHttpClient(
        new HttpClientOptions().setKeepAlive(true), new PoolOptions().setHttp1MaxSize(connections));
    AtomicLong ok = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    for (int i = 0; i < connections * 2; i++) {
      loop(client, sim.port(), i, end, ok, failed);
    }
    Thread.sleep(TimeUnit.SECONDS.toMillis(seconds) + 500);
    long served = ok.get();
    log.info("served {} poll requests in {} s over {} connections: {} req/s ({} failed)",
        served, seconds, connections, served / seconds, failed.get());
    log.info("simulator totals: {}", sim.stats().getJsonObject("totals").encode());
    sim.close().await(10, TimeUnit.SECONDS);
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static void loop(HttpClientAgent client, int port, int worker, long end, AtomicLong ok, AtomicLong failed) {
    if (System.nanoTime() > end) {
      return;
    }
    long room = TrafficModel.FIRST_REAL_ID + (worker * 7L + ok.get()) % 100;
    boolean modern = (worker & 1) == 0;
    RequestOptions options = new RequestOptions().setHost("127.0.0.1").setPort(port);
    Future<?> request = modern
        ? client.request(options.setMethod(HttpMethod.GET)
                .setURI("/xlive/web-room/v1/dM/gethistory?roomid=" + room + "&room_type=0"))
            .compose(req -> req.send().compose(resp -> resp.body()))
        : client.request(options.setMethod(HttpMethod.POST).setURI("/ajax/msg")
                .putHeader("Content-Type", "application/x-www-form-urlencoded"))
            .compose(req -> req.send("roomid=" + room).compose(resp -> resp.body()));
    request.onComplete(done -> {
      if (done.succeeded()) {
        ok.incrementAndGet();
      } else {
        failed.incrementAndGet();
      }
      loop(client, port, worker, end, ok, failed);
    });
  }
}
