package io.danmakurelay.video;

import io.danmakurelay.upstream.PollOutcome;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Sends the video reader's GET requests with the configured headers, a deadline and a bounded body read,
 * and hands back the raw answer (status, {@code Content-Encoding}, bytes) or why there is none. Never fails
 * its future. The parsing is {@link VideoApi}'s and {@link PoolParser}'s.
 */
public final class VideoClient {

  /** An answer, or the reason there is none. */
  public sealed interface Raw {}

  public record Answer(int status, String contentEncoding, byte[] body) implements Raw {}

  public record NoAnswer(PollOutcome outcome, String reason) implements Raw {}

  private final Vertx vertx;
  private final HttpClientAgent http;
  private final Map<String, String> headers;
  private final long timeoutMs;

  public VideoClient(Vertx vertx, Map<String, String> headers, long timeoutMs, int maxConnections) {
    this.vertx = vertx;
    this.headers = Map.copyOf(headers);
    this.timeoutMs = timeoutMs;
    this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
            .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMs)),
        new PoolOptions().setHttp1MaxSize(maxConnections));
  }

  public Future<Raw> get(String url, long maxBytes) {
    RequestOptions request;
    try {
      request = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url);
    } catch (RuntimeException e) {
      return Future.succeededFuture(new NoAnswer(PollOutcome.HTTP_ERROR, "bad URL " + VideoApi.reason(url)));
    }
    headers.forEach(request::putHeader);
    Promise<Raw> result = Promise.promise();
    AtomicBoolean answered = new AtomicBoolean();
    long deadline = vertx.setTimer(timeoutMs, id -> result.tryComplete(
        new NoAnswer(PollOutcome.TIMEOUT, "no complete answer within " + timeoutMs + " ms")));
    http.request(request)
        .compose(req -> {
          result.future().onComplete(done -> {
            if (!answered.get()) {
              req.reset();
            }
          });
          return req.send();
        })
        .onSuccess(response -> read(response, result, maxBytes, answered))
        .onFailure(e -> result.tryComplete(new NoAnswer(PollOutcome.HTTP_ERROR, "request failed: " + describe(e))));
    return result.future().onComplete(done -> vertx.cancelTimer(deadline));
  }

  private static void read(HttpClientResponse response, Promise<Raw> result, long maxBytes, AtomicBoolean answered) {
    Buffer collected = Buffer.buffer();
    response.handler(chunk -> {
      if (result.future().isComplete()) {
        return;
      }
      if (collected.length() + chunk.length() > maxBytes) {
        result.tryComplete(new NoAnswer(PollOutcome.PARSE_ERROR, "answer body over " + maxBytes + " bytes (HTTP "
            + response.statusCode() + "): refused"));
        return;
      }
      collected.appendBuffer(chunk);
    });
    response.exceptionHandler(e -> result.tryComplete(
        new NoAnswer(PollOutcome.HTTP_ERROR, "answer broken off: " + describe(e))));
    response.endHandler(end -> {
      answered.set(true);
      result.tryComplete(new Answer(response.statusCode(), response.getHeader("Content-Encoding"), collected.getBytes()));
    });
  }

  public Future<Void> close() {
    return http.close();
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + VideoApi.reason(message));
  }
}
