package io.danmakurelay.sim;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The video endpoints of SPEC §1c as the simulator serves them, from the {@link VideoCatalog}: pagelist,
 * archives, view, the bangumi episode, author_recommend, and the pools ({@code {cid}.xml}, raw-deflated with
 * {@code Content-Encoding: deflate} like comment.bilibili.com; one video's pools plain), rolldate and dmroll.
 * Faults ordered through {@code video-fault} replace an answer.
 */
final class VideoRoutes {

  static final String PAGELIST = "/x/player/pagelist";
  static final String ARCHIVES = "/x/article/archives";
  static final String VIEW = "/x/web-interface/view";
  static final String RECOMMEND = "/author_recommend";
  private static final Pattern EPISODE = Pattern.compile("/web_api/episode/([0-9]{1,15})\\.json");
  private static final Pattern POOL = Pattern.compile("/([0-9]{1,15})\\.xml");
  private static final Pattern ROLLDATE = Pattern.compile("/rolldate,([0-9]{1,15})");
  private static final Pattern DMROLL = Pattern.compile("/dmroll,([0-9]{1,15}),([0-9]{1,15})");

  static final String NOT_FOUND = "{\"code\":-404,\"message\":\"啥都木有\",\"ttl\":1}";
  private static final String JSON = SimulatorHttpVerticle.JSON;
  private static final String XML = "text/xml";
  private static final byte[] HUGE_CHUNK = new byte[64 * 1024];

  static {
    Arrays.fill(HUGE_CHUNK, (byte) 'x');
  }

  private final VideoCatalog catalog;
  private final LongSupplier clock;

  VideoRoutes(VideoCatalog catalog, LongSupplier clock) {
    this.catalog = catalog;
    this.clock = clock;
  }

  /** Whether {@code path} is a video endpoint. */
  static boolean handles(String path) {
    return path.equals(PAGELIST) || path.equals(ARCHIVES) || path.equals(VIEW) || path.equals(RECOMMEND)
        || EPISODE.matcher(path).matches() || POOL.matcher(path).matches() || ROLLDATE.matcher(path).matches()
        || DMROLL.matcher(path).matches();
  }

  void handle(HttpServerRequest req) {
    String path = req.path();
    HttpServerResponse resp = req.response();
    long now = clock.getAsLong();
    switch (path) {
      case PAGELIST, ARCHIVES, RECOMMEND -> {
        long aid = id(req.getParam(path.equals(ARCHIVES) ? "ids" : "aid"));
        if (fault(resp, aid, false)) {
          return;
        }
        VideoCatalog.VideoSpec v = catalog.video(aid);
        if (v == null) {
          send(resp, 200, JSON, NOT_FOUND);
        } else if (path.equals(PAGELIST)) {
          send(resp, 200, JSON, catalog.pagelist(v));
        } else if (path.equals(ARCHIVES)) {
          send(resp, 200, JSON, catalog.archives(v, now));
        } else {
          send(resp, 200, JSON, catalog.recommend(v));
        }
        return;
      }
      case VIEW -> {
        Long aid = catalog.aidOfBvid(String.valueOf(req.getParam("bvid")));
        if (aid != null && fault(resp, aid, false)) {
          return;
        }
        send(resp, 200, JSON, aid == null ? NOT_FOUND : catalog.view(catalog.video(aid)));
        return;
      }
      default -> {
        // the patterns below
      }
    }
    Matcher m;
    if ((m = EPISODE.matcher(path)).matches()) {
      long ep = Long.parseLong(m.group(1));
      if (fault(resp, ep, false)) {
        return;
      }
      Long aid = catalog.aidOfEpisode(ep);
      send(resp, 200, JSON, aid == null ? NOT_FOUND : catalog.episode(catalog.video(aid)));
    } else if ((m = POOL.matcher(path)).matches()) {
      pool(resp, Long.parseLong(m.group(1)), now, false);
    } else if ((m = ROLLDATE.matcher(path)).matches()) {
      long cid = Long.parseLong(m.group(1));
      if (fault(resp, cid, false)) {
        return;
      }
      VideoCatalog.Part part = catalog.part(cid);
      if (part == null) {
        send(resp, 404, "text/html", "<html><body>404 Not Found</body></html>");
      } else {
        send(resp, 200, JSON, catalog.rolldate(part, now));
      }
    } else if ((m = DMROLL.matcher(path)).matches()) {
      long at = Long.parseLong(m.group(1)) * 1000 + 999;
      pool(resp, Long.parseLong(m.group(2)), Math.min(at, now), true);
    }
  }

  private void pool(HttpServerResponse resp, long cid, long atMs, boolean history) {
    VideoFault f = catalog.take(cid);
    VideoCatalog.Part part = catalog.part(cid);
    if (part == null) {
      send(resp, 404, "text/html", "<html><body>404 Not Found</body></html>");
      return;
    }
    if (f != null && f != VideoFault.WRONGTYPES && f != VideoFault.TRUNCATED && f != VideoFault.MALFORMED
        && f != VideoFault.FORBIDDENCHARS) {
      fault(resp, f, true);
      return;
    }
    if (f == VideoFault.MALFORMED) {
      byte[] whole = catalog.poolXmlUnrecorded(part, atMs);
      byte[] broken = Arrays.copyOf(whole, Math.max(1, whole.length / 2));
      sendPool(resp, part, VideoCatalog.rawDeflate(broken));
      return;
    }
    byte[] xml = f == VideoFault.TRUNCATED ? catalog.poolXmlUnrecorded(part, atMs)
        : catalog.poolXml(part, atMs, history, f == VideoFault.WRONGTYPES, f == VideoFault.FORBIDDENCHARS);
    if (part.video.plainPools()) {
      resp.setStatusCode(200).putHeader("Content-Type", XML).end(Buffer.buffer(xml));
      return;
    }
    byte[] deflated = VideoCatalog.rawDeflate(xml);
    if (f == VideoFault.TRUNCATED) {
      deflated = Arrays.copyOf(deflated, deflated.length / 2);
    }
    sendPool(resp, part, deflated);
  }

  private static void sendPool(HttpServerResponse resp, VideoCatalog.Part part, byte[] body) {
    resp.setStatusCode(200).putHeader("Content-Type", XML).putHeader("Content-Encoding", "deflate")
        .end(Buffer.buffer(body));
  }

  /** Serves an ordered fault for {@code id} if there is one. */
  private boolean fault(HttpServerResponse resp, long id, boolean pool) {
    VideoFault f = catalog.take(id);
    if (f == null) {
      return false;
    }
    fault(resp, f, pool);
    return true;
  }

  private void fault(HttpServerResponse resp, VideoFault f, boolean pool) {
    switch (f) {
      case HTTP404 -> send(resp, 404, "text/html", "<html><body>404 Not Found</body></html>");
      case CODE_404 -> send(resp, 200, JSON, NOT_FOUND);
      case EMPTYDATA -> send(resp, 200, JSON, "{\"code\":0,\"message\":\"0\",\"ttl\":1,\"data\":{}}");
      case HTTP412 -> send(resp, 412, SimulatorHttpVerticle.HTML, SimulatorHttpVerticle.RISK_CONTROL_PAGE);
      case HUGE -> huge(resp);
      case MALFORMED, TRUNCATED, WRONGTYPES, FORBIDDENCHARS -> send(resp, 200, JSON, "{\"code\":0,\"data\":[1,\"x\",{\"cid\":\"a\"}]}");
    }
  }

  /** 50 MB streamed chunk by chunk, respecting back-pressure. */
  private void huge(HttpServerResponse resp) {
    resp.setStatusCode(200).setChunked(true).putHeader("Content-Type", XML);
    writeChunks(resp, VideoCatalog.HUGE_BYTES);
  }

  private void writeChunks(HttpServerResponse resp, long remaining) {
    if (resp.ended() || resp.closed()) {
      return;
    }
    long left = remaining;
    while (left > 0 && !resp.writeQueueFull()) {
      int n = (int) Math.min(left, HUGE_CHUNK.length);
      resp.write(Buffer.buffer(HUGE_CHUNK).getBuffer(0, n));
      left -= n;
    }
    if (left > 0) {
      long rest = left;
      resp.drainHandler(v -> writeChunks(resp, rest));
    } else {
      resp.drainHandler(null);
      resp.end();
    }
  }

  private static long id(String value) {
    if (value == null || value.isEmpty() || value.length() > 15 || !value.chars().allMatch(Character::isDigit)) {
      return -1;
    }
    return Long.parseLong(value);
  }

  private static void send(HttpServerResponse resp, int status, String contentType, String body) {
    resp.setStatusCode(status).putHeader("Content-Type", contentType).end(Buffer.buffer(body.getBytes(StandardCharsets.UTF_8)));
  }
}
