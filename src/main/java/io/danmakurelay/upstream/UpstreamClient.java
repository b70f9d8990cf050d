package io.danmakurelay.upstream;

import io.danmakurelay.config.RelayConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Sends the relay's requests to Bilibili (both poll APIs and room_init) with the configured headers, a
 * deadline per request and a bounded body read, and hands the bytes to {@link PayloadParser}.
 */
public final class UpstreamClient {

  private final Vertx vertx;
  private final RelayConfig.Upstream config;
  private final HttpClientAgent http;

  public UpstreamClient(Vertx vertx, RelayConfig.Upstream config, int maxConnections) {
    this.vertx = vertx;
    this.config = config;
    this.http = vertx.createHttpClient(
        new HttpClientOptions()
            .setKeepAlive(true)
            .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.timeoutMs())),
        new PoolOptions().setHttp1MaxSize(maxConnections));
  }

  /** Polls one room (real id) with the configured API. Never fails: failures are classified results. */
  public Future<PollResult> poll(long realRoomId) {
    RequestOptions request;
    Buffer body;
    if (config.modernApi()) {
      request = new RequestOptions().setMethod(HttpMethod.GET)
          .setAbsoluteURI(withQuery(config.url(), "roomid=" + realRoomId + "&room_type=0"));
      body = Buffer.buffer();
    } else {
      request = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(config.url())
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/x-www-form-urlencoded");
      body = Buffer.buffer("roomid=" + realRoomId + "&csrf_token=&csrf=&visit_id=");
    }
    return send(request, body, PayloadParser::parsePoll, PollResult.Failure::new);
  }

  /** Resolves a (short or real) room id to the real one. Never fails: failures are classified results. */
  public Future<RoomInitResult> roomInit(long roomId) {
    RequestOptions request = new RequestOptions().setMethod(HttpMethod.GET)
        .setAbsoluteURI(withQuery(config.roomInitUrl(), "id=" + roomId));
    return send(request, Buffer.buffer(), PayloadParser::parseRoomInit, RoomInitResult.Failed::new);
  }

  public Future<Void> close() {
    return http.close();
  }

  /** The body parser of an answer: (status, content type, body) to a result. */
  private interface Parser<T> {
    T parse(int status, String contentType, Buffer body);
  }

  /** Builds the failure result of a request that got no usable answer. */
  private interface FailureFactory<T> {
    T failure(PollOutcome outcome, FailureKind kind, String reason);
  }

  private <T> Future<T> send(RequestOptions request, Buffer body, Parser<T> parser, FailureFactory<T> failure) {
    for (Map.Entry<String, String> header : config.headers().entrySet()) {
      request.putHeader(header.getKey(), header.getValue());
    }
    Promise<T> result = Promise.promise();
    AtomicBoolean answered = new AtomicBoolean();
    long deadline = vertx.setTimer(config.timeoutMs(), id -> result.tryComplete(
        failure.failure(PollOutcome.TIMEOUT, FailureKind.RETRY, "no complete answer within " + config.timeoutMs() + " ms")));
    http.request(request)
        .compose(req -> {
          // A deadline or an oversized body ends the result early: drop the exchange so nothing more is read.
          result.future().onComplete(done -> {
            if (!answered.get()) {
              req.reset();
            }
          });
          return req.send(body);
        })
        .onSuccess(response -> readBounded(response, result, parser, failure, answered))
        .onFailure(error -> result.tryComplete(
            failure.failure(PollOutcome.HTTP_ERROR, FailureKind.RETRY, "request failed: " + describe(error))));
    return result.future().onComplete(done -> vertx.cancelTimer(deadline));
  }

  private <T> void readBounded(HttpClientResponse response, Promise<T> result, Parser<T> parser,
      FailureFactory<T> failure, AtomicBoolean answered) {
    Buffer collected = Buffer.buffer();
    long max = config.maxBodyBytes();
    response.handler(chunk -> {
      if (result.future().isComplete()) {
        return;
      }
      if (collected.length() + chunk.length() > max) {
        result.tryComplete(failure.failure(PollOutcome.PARSE_ERROR, FailureKind.RETRY,
            "answer body over " + max + " bytes (HTTP " + response.statusCode() + ")"));
        return;
      }
      collected.appendBuffer(chunk);
    });
    response.exceptionHandler(error -> result.tryComplete(
        failure.failure(PollOutcome.HTTP_ERROR, FailureKind.RETRY, "answer broken off: " + describe(error))));
    response.endHandler(end -> {
      answered.set(true);
      result.tryComplete(parser.parse(response.statusCode(), response.getHeader(HttpHeaders.CONTENT_TYPE), collected));
    });
  }

  private static String withQuery(String url, String query) {
    return url + (url.contains("?") ? "&" : "?") + query;
  }

  private static String describe(Throwable error) {
    if (error instanceof TimeoutException) {
      return "timeout";
    }
    String message = error.getMessage();
    return error.getClass().getSimpleName() + (message == null ? "" : ": " + message.replace('\n', ' '));
  }
}
