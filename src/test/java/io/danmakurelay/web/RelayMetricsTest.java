package io.danmakurelay.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.micrometer.MicrometerMetricsFactory;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("RelayMetrics (the one registry and the Vert.x meters fed into it)")
class RelayMetricsTest {

  @Test
  @DisplayName("Vert.x's HTTP server meters are exported, its per-request HTTP client meters are not")
  void httpClientDomainDisabled() throws Exception {
    PrometheusMeterRegistry registry = RelayMetrics.createRegistry();
    Vertx vertx = Vertx.builder()
        .with(new VertxOptions().setMetricsOptions(RelayMetrics.vertxMetricsOptions()))
        .withMetrics(new MicrometerMetricsFactory(registry))
        .build();
    try {
      HttpServer server = vertx.createHttpServer().requestHandler(req -> req.response().end("ok"))
          .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
      HttpClient client = vertx.createHttpClient();
      for (int i = 0; i < 3; i++) {
        Buffer body = client.request(HttpMethod.GET, server.actualPort(), "127.0.0.1", "/x")
            .compose(req -> req.send()).compose(HttpClientResponse::body).await(10, TimeUnit.SECONDS);
        assertThat(body.toString()).isEqualTo("ok");
      }
      String scrape = registry.scrape();
      // The server records a request when its response ended, which the client's body read has seen.
      assertThat(scrape).contains("vertx_http_server_requests_total", "jvm_memory_used_bytes",
          "process_cpu_seconds_total");
      assertThat(scrape).doesNotContain("vertx_http_client_");
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
