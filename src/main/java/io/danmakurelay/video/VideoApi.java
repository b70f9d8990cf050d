package io.danmakurelay.video;

import io.danmakurelay.upstream.FailureKind;
import io.danmakurelay.upstream.PollOutcome;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Parses the JSON answers of the video endpoints (SPEC §1c: {@code pagelist}, {@code archives}, {@code view},
 * bangumi {@code episode}, {@code author_recommend}, {@code rolldate}) into typed values. Pure: never throws on
 * bad input. Missing fields take defaults; numbers sent as strings (the bangumi API's habit) are read as
 * numbers. {@code -404}, HTTP 404 and an empty {@code data} mean the video does not exist; HTTP 412,
 * {@code -412} and {@code -352} are risk control; the rest is retried later.
 */
public final class VideoApi {

  static final int MAX_REASON_CHARS = 200;

  private VideoApi() {}

  /** {@code pagelist?aid=}: {@code data: [{cid, page, part, duration}]}. */
  public static ApiAnswer<List<VideoPart>> parsePagelist(int status, byte[] body) {
    return envelope(status, body, json -> {
      Object data = json.getValue("data");
      if (!(data instanceof JsonArray array) || array.isEmpty()) {
        return new ApiAnswer.NotFound<>("the video has no parts (empty data)");
      }
      List<VideoPart> parts = new ArrayList<>();
      for (Object o : array) {
        if (o instanceof JsonObject p && number(p.getValue("cid")) > 0) {
          long page = number(p.getValue("page"));
          parts.add(new VideoPart(number(p.getValue("cid")), (int) Math.max(page, parts.size() + 1),
              text(p.getValue("part")), Math.max(0, number(p.getValue("duration")))));
        }
      }
      if (parts.isEmpty()) {
        return parseFailure("pagelist: no part has a cid");
      }
      return new ApiAnswer.Ok<>(List.copyOf(parts));
    });
  }

  /** {@code archives?ids=AID}: {@code data.{AID}: {...}}. */
  public static ApiAnswer<VideoInfo> parseArchives(int status, byte[] body, long aid) {
    return envelope(status, body, json -> {
      JsonObject data = json.getValue("data") instanceof JsonObject d ? d : null;
      if (data == null || data.isEmpty()) {
        return new ApiAnswer.NotFound<>("no video av" + aid + " (empty data)");
      }
      Object entry = data.getValue(Long.toString(aid));
      if (!(entry instanceof JsonObject a)) {
        return new ApiAnswer.NotFound<>("no video av" + aid + " in the archives answer");
      }
      JsonObject owner = a.getValue("owner") instanceof JsonObject o ? o : new JsonObject();
      JsonObject stat = new JsonObject();
      if (a.getValue("stat") instanceof JsonObject s) {
        for (String key : List.of("view", "danmaku", "reply", "favorite", "coin", "share", "like")) {
          if (s.containsKey(key)) {
            stat.put(key, number(s.getValue(key)));
          }
        }
      }
      long foundAid = number(a.getValue("aid"));
      return new ApiAnswer.Ok<>(new VideoInfo(foundAid > 0 ? foundAid : aid, (int) number(a.getValue("videos")),
          number(a.getValue("tid")), text(a.getValue("tname")), text(a.getValue("title")),
          number(a.getValue("pubdate")), text(a.getValue("desc")), number(a.getValue("duration")),
          number(owner.getValue("mid")), text(owner.getValue("name")), stat));
    });
  }

  /** {@code view?bvid=}: {@code data.aid}. */
  public static ApiAnswer<Long> parseView(int status, byte[] body) {
    return envelope(status, body, json -> {
      JsonObject data = json.getValue("data") instanceof JsonObject d ? d : null;
      if (data == null || data.isEmpty()) {
        return new ApiAnswer.NotFound<>("no such video (empty data)");
      }
      long aid = number(data.getValue("aid"));
      return aid > 0 ? new ApiAnswer.Ok<>(aid) : parseFailure("view: data.aid is not a positive number");
    });
  }

  /** The bangumi {@code episode/{ep}.json}: {@code result.currentEpisode} and {@code result.season}. */
  public static ApiAnswer<Episode> parseEpisode(int status, byte[] body, long ep) {
    return envelope(status, body, json -> {
      JsonObject result = json.getValue("result") instanceof JsonObject r ? r : null;
      JsonObject current = result != null && result.getValue("currentEpisode") instanceof JsonObject c ? c : null;
      if (current == null || current.isEmpty()) {
        return new ApiAnswer.NotFound<>("no episode ep" + ep + " (empty result)");
      }
      if ("1".equals(text(current.getValue("isDelete")))) {
        return new ApiAnswer.NotFound<>("episode ep" + ep + " is deleted");
      }
      long aid = number(current.getValue("avId"));
      long cid = number(current.getValue("danmaku"));
      if (aid <= 0) {
        return parseFailure("episode: currentEpisode.avId is not a positive number");
      }
      JsonObject season = result.getValue("season") instanceof JsonObject s ? s : new JsonObject();
      long episodeId = number(current.getValue("episodeId"));
      return new ApiAnswer.Ok<>(new Episode(episodeId > 0 ? episodeId : ep, aid, Math.max(0, cid),
          text(current.getValue("index")), text(current.getValue("longTitle")), number(current.getValue("seasonId")),
          text(season.getValue("season_title")), text(season.getValue("title"))));
    });
  }

  /** {@code author_recommend?aid=}: {@code list: [{aid, title, ...}]}; an absent list is no related videos. */
  public static ApiAnswer<List<Related>> parseRecommend(int status, byte[] body) {
    return envelope(status, body, json -> {
      List<Related> related = new ArrayList<>();
      if (json.getValue("list") instanceof JsonArray list) {
        for (Object o : list) {
          if (o instanceof JsonObject r && number(r.getValue("aid")) > 0) {
            related.add(new Related(number(r.getValue("aid")), text(r.getValue("title"))));
          }
        }
      }
      return new ApiAnswer.Ok<>(List.copyOf(related));
    });
  }

  /** {@code rolldate,{cid}}: a bare array {@code [{"timestamp":"...","new":"..."}]}, returned oldest first. */
  public static ApiAnswer<List<RollDate>> parseRolldate(int status, byte[] body) {
    ApiAnswer<List<RollDate>> failed = statusFailure(status, body);
    if (failed != null) {
      return failed;
    }
    Object parsed = decode(body);
    if (parsed instanceof JsonObject json) {
      // An error comes as an object with a code; a part without history as an empty array.
      return envelope(status, body, j -> new ApiAnswer.Ok<>(List.of()));
    }
    if (!(parsed instanceof JsonArray array)) {
      return parseFailure("rolldate: " + notJson(body));
    }
    List<RollDate> dates = new ArrayList<>();
    for (Object o : array) {
      if (o instanceof JsonObject d && number(d.getValue("timestamp")) > 0) {
        dates.add(new RollDate(number(d.getValue("timestamp")), Math.max(0, number(d.getValue("new")))));
      }
    }
    dates.sort((a, b) -> Long.compare(a.timestamp(), b.timestamp()));
    return new ApiAnswer.Ok<>(List.copyOf(dates));
  }

  // ---- the envelope every JSON endpoint shares ----

  private static <T> ApiAnswer<T> envelope(int status, byte[] body, Function<JsonObject, ApiAnswer<T>> data) {
    ApiAnswer<T> failed = statusFailure(status, body);
    if (failed != null) {
      return failed;
    }
    Object parsed = decode(body);
    if (!(parsed instanceof JsonObject json)) {
      return parseFailure(notJson(body));
    }
    Object code = json.getValue("code");
    long codeValue = code == null ? 0 : number(code);
    if (code != null && codeValue == 0 && !"0".equals(String.valueOf(code).trim())) {
      return parseFailure("code is not a number: " + reason(String.valueOf(code)));
    }
    if (codeValue == -412 || codeValue == -352) {
      return new ApiAnswer.Failed<>(PollOutcome.RATE_LIMITED, FailureKind.RISK_CONTROL,
          "code " + codeValue + ": " + message(json));
    }
    if (codeValue == -404 || codeValue == 62002 || codeValue == 62004 || codeValue == -403) {
      return new ApiAnswer.NotFound<>("code " + codeValue + ": " + message(json));
    }
    if (codeValue != 0) {
      return new ApiAnswer.Failed<>(PollOutcome.API_ERROR, FailureKind.RETRY, "code " + codeValue + ": " + message(json));
    }
    return data.apply(json);
  }

  private static <T> ApiAnswer<T> statusFailure(int status, byte[] body) {
    if (status == 412) {
      return new ApiAnswer.Failed<>(PollOutcome.RATE_LIMITED, FailureKind.RISK_CONTROL, "HTTP 412 (risk control)");
    }
    if (status == 404) {
      return new ApiAnswer.NotFound<>("HTTP 404");
    }
    if (status < 200 || status > 299) {
      return new ApiAnswer.Failed<>(PollOutcome.HTTP_ERROR, FailureKind.RETRY, "HTTP " + status);
    }
    return null;
  }

  private static Object decode(byte[] body) {
    if (body == null || body.length == 0) {
      return null;
    }
    try {
      return Json.decodeValue(new String(body, StandardCharsets.UTF_8));
    } catch (DecodeException | IllegalStateException e) {
      return null;
    }
  }

  private static <T> ApiAnswer<T> parseFailure(String why) {
    return new ApiAnswer.Failed<>(PollOutcome.PARSE_ERROR, FailureKind.RETRY, reason(why));
  }

  private static String notJson(byte[] body) {
    if (body == null || body.length == 0) {
      return "empty body";
    }
    return "not a JSON answer: " + reason(new String(body, 0, Math.min(body.length, 400), StandardCharsets.UTF_8));
  }

  private static String message(JsonObject json) {
    Object m = json.getValue("message");
    if (!(m instanceof String) || ((String) m).isBlank()) {
      m = json.getValue("msg");
    }
    return reason(m instanceof String s ? s : "(no message)");
  }

  /** A number or a numeric string (the bangumi API sends ids as strings); 0 when it is neither. */
  static long number(Object value) {
    if (value instanceof Number n) {
      double d = n.doubleValue();
      return Double.isFinite(d) && d == Math.rint(d) ? n.longValue() : (long) d;
    }
    if (value instanceof String s) {
      String t = s.strip();
      if (!t.isEmpty() && t.length() <= 18 && t.chars().allMatch(c -> c >= '0' && c <= '9')) {
        return Long.parseLong(t);
      }
      if (t.length() > 1 && t.length() <= 19 && t.charAt(0) == '-' && t.substring(1).chars().allMatch(Character::isDigit)) {
        return Long.parseLong(t);
      }
    }
    return 0;
  }

  static String text(Object value) {
    if (value instanceof String s) {
      return s;
    }
    return value instanceof Number n ? n.toString() : "";
  }

  /** One line, capped: a reason may be a whole HTML page. */
  static String reason(String raw) {
    String line = raw.replaceAll("[\\r\\n\\t]+", " ").replaceAll("\\p{Cntrl}", "").strip();
    return line.length() > MAX_REASON_CHARS ? line.substring(0, MAX_REASON_CHARS) + "..." : line;
  }
}
