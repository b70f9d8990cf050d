package io.danmakurelay.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

// Checks the classification of every upstream answer shape, with payloads modelled on the real APIs.
class PayloadParserTest {

  private static final String JSON = "application/json; charset=utf-8";
  private static final long NOON_BEIJING = Instant.parse("2026-11-29T04:00:00Z").toEpochMilli();

  /** An ajax-msg item as the legacy API sends it. */
  private static final String LEGACY_ITEM = """
      {"text":"\\u4f60\\u597d\\uff01\\ud83d\\ude00 <b>bold</b> a\\/b \\"q\\" line1\\nline2 $1 .*","uid":12345,
       "nickname":"\\u5c0f\\u660e","uname_color":"","timeline":"2026-11-29 12:00:00","isadmin":0,"vip":0,"svip":0,
       "medal":[],"title":["",""],"user_level":[12,0,6406234,">50000"],"rank":10000,"teamid":0,
       "rnd":"1764388790","user_title":"","guard_level":0,"bubble":0}""";

  /** A gethistory item: the legacy fields plus check_info, id_str and friends; rnd as a number. */
  private static final String MODERN_ITEM = """
      {"text":"草草草🎉 主播好","uid":"987654321","nickname":"Ω viewer","timeline":"2026-11-29 12:00:05",
       "isadmin":0,"vip":0,"svip":0,"medal":[21,"粉丝"," 主播",21452505,398668,""],"title":["",""],
       "user_level":[20,0,9868950,">50000"],"rank":10000,"teamid":0,"rnd":1764388795,"user_title":"",
       "guard_level":0,"bubble":0,"bubble_color":"","lpl":0,"yeah_space_url":"","jump_to_url":"",
       "check_info":{"ts":1764388804,"ct":"3F6B2A1C"},"voice_dm_info":{"voice_url":"","file_format":"",
       "text":"","file_duration":0,"file_id":""},"emoticon":{"id":0,"emoticon_unique":"","text":"","perm":0,
       "url":"","in_player_area":0,"bulge_display":0,"is_dynamic":0,"height":0,"width":0},"emots":null,
       "id_str":"8f4e0a13c9d6b25e7a1f0c3b6d9e2a41","dm_type":0,"wealth_level":12,
       "reply":{"show_reply":true,"reply_mid":0,"reply_uname":"","reply_uname_color":"","reply_is_mystery":false},
       "user":{"uid":987654321,"base":{"name":"Ω viewer","face":"https:\\/\\/i0.hdslb.com\\/bfs\\/face\\/x.jpg"}}}""";

  private static Buffer body(String text) {
    return Buffer.buffer(text);
  }

  private static String answer(String room, String admin) {
    return "{\"code\":0,\"data\":{\"admin\":[" + admin + "],\"room\":[" + room + "]},\"message\":\"\",\"msg\":\"\"}";
  }

  private static PollResult.Failure pollFailure(int status, String contentType, String text) {
    PollResult result = PayloadParser.parsePoll(status, contentType, text == null ? null : body(text));
    assertThat(result).isInstanceOf(PollResult.Failure.class);
    PollResult.Failure failure = (PollResult.Failure) result;
    assertThat(failure.reason()).isNotBlank().doesNotContain("\n", "\r").hasSizeLessThanOrEqualTo(200);
    return failure;
  }

  private static PollResult.Success pollSuccess(String text) {
    PollResult result = PayloadParser.parsePoll(200, JSON, body(text));
    assertThat(result).isInstanceOf(PollResult.Success.class);
    return (PollResult.Success) result;
  }

  @Nested
  @DisplayName("a successful poll answer")
  class Success {

    @Test
    @DisplayName("gives legacy items with text decoded exactly, ts from the timeline read as UTC+8 and no id")
    void legacyItem() {
      PollResult.Success success = pollSuccess(answer(LEGACY_ITEM, ""));

      assertThat(success.admin()).isEmpty();
      assertThat(success.room()).hasSize(1);
      Danmaku item = success.room().get(0);
      assertThat(item.list()).isEqualTo(DanmakuList.ROOM);
      assertThat(item.text()).isEqualTo("你好！😀 <b>bold</b> a/b \"q\" line1\nline2 $1 .*");
      assertThat(item.uid()).isEqualTo(12345L);
      assertThat(item.nickname()).isEqualTo("小明");
      assertThat(item.timeline()).isEqualTo("2026-11-29 12:00:00");
      assertThat(item.ts()).isEqualTo(NOON_BEIJING);
      assertThat(item.idStr()).isNull();
      assertThat(item.rnd()).isEqualTo("1764388790");
      assertThat(item.checkCt()).isNull();
      assertThat(item.raw()).isEqualTo(new JsonObject(LEGACY_ITEM));
    }

    @Test
    @DisplayName("gives modern items with ts from check_info, id_str, ct, a numeric rnd as text and a string uid")
    void modernItem() {
      PollResult.Success success = pollSuccess(answer(MODERN_ITEM, LEGACY_ITEM));

      Danmaku item = success.room().get(0);
      assertThat(item.text()).isEqualTo("草草草🎉 主播好");
      assertThat(item.uid()).isEqualTo(987654321L);
      assertThat(item.ts()).isEqualTo(1764388804000L);
      assertThat(item.idStr()).isEqualTo("8f4e0a13c9d6b25e7a1f0c3b6d9e2a41");
      assertThat(item.checkCt()).isEqualTo("3F6B2A1C");
      assertThat(item.rnd()).isEqualTo("1764388795");
      assertThat(item.raw().getJsonObject("user").getJsonObject("base").getString("face"))
          .isEqualTo("https://i0.hdslb.com/bfs/face/x.jpg");
      assertThat(success.admin()).singleElement().extracting(Danmaku::list).isEqualTo(DanmakuList.ADMIN);
    }

    @Test
    @DisplayName("keeps both lists oldest first and in full")
    void keepsOrder() {
      StringBuilder room = new StringBuilder();
      for (int i = 0; i < 10; i++) {
        room.append(i == 0 ? "" : ",")
            .append(new JsonObject(LEGACY_ITEM).put("text", "m" + i).encode());
      }
      PollResult.Success success = pollSuccess(answer(room.toString(), ""));

      assertThat(success.room()).extracting(Danmaku::text)
          .containsExactly("m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"code\":0,\"data\":{\"admin\":[],\"room\":[]},\"message\":\"\",\"msg\":\"\"}",
        "{\"code\":0,\"data\":{}}",
        "{\"code\":0,\"data\":[]}",
        "{\"code\":0,\"data\":{\"admin\":null,\"room\":null}}"})
    @DisplayName("treats an empty data or absent lists as a quiet room")
    void quietRoom(String text) {
      PollResult.Success success = pollSuccess(text);

      assertThat(success.room()).isEmpty();
      assertThat(success.admin()).isEmpty();
    }

    @Test
    @DisplayName("accepts absent optional fields with defaults")
    void minimalItem() {
      PollResult.Success success =
          pollSuccess(answer("{\"text\":\"\",\"uid\":0,\"timeline\":\"2026-11-29 12:00:00\"}", ""));

      Danmaku item = success.room().get(0);
      assertThat(item.text()).isEmpty();
      assertThat(item.nickname()).isEmpty();
      assertThat(item.rnd()).isEmpty();
      assertThat(item.idStr()).isNull();
    }

    @Test
    @DisplayName("falls back to the timeline when check_info.ts is absurdly large, and keeps huge ids as text")
    void hugeNumbers() {
      String item = new JsonObject(LEGACY_ITEM)
          .put("check_info", new JsonObject().put("ts", new java.math.BigInteger("99999999999999999999999")))
          .put("id_str", 123456789012345678L)
          .encode();

      Danmaku parsed = pollSuccess(answer(item, "")).room().get(0);

      assertThat(parsed.ts()).isEqualTo(NOON_BEIJING);
      assertThat(parsed.idStr()).isEqualTo("123456789012345678");
    }

    @Test
    @DisplayName("accepts an item whose timeline is unusual when check_info.ts dates it")
    void oddTimelineWithCheckInfo() {
      String item = new JsonObject(MODERN_ITEM).put("timeline", "yesterday").encode();

      assertThat(pollSuccess(answer(item, "")).room().get(0).ts()).isEqualTo(1764388804000L);
    }

    @Test
    @DisplayName("does not mistake a viewer typing HistoryReq.Roomid for an invalid room")
    void userTextIsNotAnError() {
      String item = new JsonObject(LEGACY_ITEM).put("text", "HistoryReq.Roomid -412").encode();

      assertThat(pollSuccess(answer(item, "")).room().get(0).text()).isEqualTo("HistoryReq.Roomid -412");
    }
  }

  @Nested
  @DisplayName("a failed poll")
  class Failures {

    @Test
    @DisplayName("HTTP 412 with an HTML page is risk control")
    void http412() {
      PollResult.Failure failure = pollFailure(412, "text/html",
          "<html>\n<head><title>412 Precondition Failed</title></head>\n<body>由于触发哔哩哔哩安全风控策略，该次访问请求被拒绝。</body></html>");

      assertThat(failure.outcome()).isEqualTo(PollOutcome.RATE_LIMITED);
      assertThat(failure.kind()).isEqualTo(FailureKind.RISK_CONTROL);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"code\":-412,\"message\":\"请求被拦截\",\"ttl\":1,\"data\":null}",
        "{\"code\":-352,\"message\":\"风控校验失败\",\"ttl\":1,\"data\":{\"v_voucher\":\"voucher_1\"}}",
        "{\"code\":\"-412\",\"message\":\"request was banned\"}",
        "{\"code\":-509,\"message\":\"请求过于频繁，请稍后再试\",\"ttl\":1}"})
    @DisplayName("codes -412, -352 and -509 (too frequent) are risk control")
    void riskCodes(String text) {
      PollResult.Failure failure = pollFailure(200, JSON, text);

      assertThat(failure.outcome()).isEqualTo(PollOutcome.RATE_LIMITED);
      assertThat(failure.kind()).isEqualTo(FailureKind.RISK_CONTROL);
    }

    @Test
    @DisplayName("a validation error naming HistoryReq.Roomid is an invalid room")
    void invalidRoom() {
      PollResult.Failure failure = pollFailure(200, JSON,
          "{\"code\":-400,\"message\":\"Key: 'HistoryReq.Roomid' Error:Field validation for 'Roomid' failed on the 'gt' tag\",\"ttl\":1}");

      assertThat(failure.outcome()).isEqualTo(PollOutcome.API_ERROR);
      assertThat(failure.kind()).isEqualTo(FailureKind.INVALID_ROOM);
      assertThat(failure.reason()).contains("HistoryReq.Roomid");
    }

    @Test
    @DisplayName("a plain-text 400 naming HistoryReq.Roomid is an invalid room too")
    void invalidRoomPlainText() {
      PollResult.Failure failure = pollFailure(400, "text/plain",
          "Key: 'HistoryReq.Roomid' Error:Field validation for 'Roomid' failed on the 'required' tag");

      assertThat(failure.kind()).isEqualTo(FailureKind.INVALID_ROOM);
    }

    @Test
    @DisplayName("another non-zero code is an API error to retry")
    void otherCode() {
      PollResult.Failure failure = pollFailure(200, JSON, "{\"code\":-400,\"message\":\"请求错误\",\"ttl\":1}");

      assertThat(failure.outcome()).isEqualTo(PollOutcome.API_ERROR);
      assertThat(failure.kind()).isEqualTo(FailureKind.RETRY);
      assertThat(failure.reason()).isEqualTo("code -400: 请求错误");
    }

    @ParameterizedTest
    @ValueSource(ints = {500, 502, 503, 504, 404, 403, 302, 101})
    @DisplayName("HTTP 5xx and other non-2xx statuses are HTTP errors to retry")
    void httpErrors(int status) {
      PollResult.Failure failure = pollFailure(status, "text/html", "<html><body>Bad Gateway</body></html>");

      assertThat(failure.outcome()).isEqualTo(PollOutcome.HTTP_ERROR);
      assertThat(failure.kind()).isEqualTo(FailureKind.RETRY);
      assertThat(failure.reason()).startsWith("HTTP " + status);
    }

    @Test
    @DisplayName("an empty 503 is an HTTP error, not a crash")
    void emptyServerError() {
      assertThat(pollFailure(503, null, null).outcome()).isEqualTo(PollOutcome.HTTP_ERROR);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "<!DOCTYPE html><html><body>出错啦</body></html>",
        "{\"code\":0,\"data\":{\"admin\":[],\"room\":[{\"text\":\"hel",
        "{\"code\":0,\"data\":{\"admin\":[],\"room\":[]}",
        "",
        "   ",
        "[1,2,3]",
        "\"just a string\"",
        "null",
        "{\"code\":0,\"data\":{\"admin\":[],\"room\":[]}} trailing",
        "{\"data\":{\"admin\":[],\"room\":[]}}",
        "{\"code\":0}",
        "{\"code\":0,\"data\":null}",
        "{\"code\":\"zero\",\"data\":{}}"})
    @DisplayName("non-JSON, truncated or unrecognisable bodies are parse errors to retry")
    void parseErrors(String text) {
      PollResult.Failure failure = pollFailure(200, "text/html", text);

      assertThat(failure.outcome()).isEqualTo(PollOutcome.PARSE_ERROR);
      assertThat(failure.kind()).isEqualTo(FailureKind.RETRY);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"code\":0,\"data\":\"nope\"}",
        "{\"code\":0,\"data\":[1]}",
        "{\"code\":0,\"data\":{\"room\":{}}}",
        "{\"code\":0,\"data\":{\"room\":[],\"admin\":\"x\"}}",
        "{\"code\":0,\"data\":{\"room\":[42]}}",
        "{\"code\":0,\"data\":{\"room\":[{\"text\":7,\"uid\":1,\"timeline\":\"2026-11-29 12:00:00\"}]}}",
        "{\"code\":0,\"data\":{\"room\":[{\"uid\":1,\"timeline\":\"2026-11-29 12:00:00\"}]}}",
        "{\"code\":0,\"data\":{\"room\":[{\"text\":\"a\",\"uid\":\"abc\",\"timeline\":\"2026-11-29 12:00:00\"}]}}",
        "{\"code\":0,\"data\":{\"room\":[{\"text\":\"a\",\"uid\":1.5,\"timeline\":\"2026-11-29 12:00:00\"}]}}",
        "{\"code\":0,\"data\":{\"room\":[{\"text\":\"a\",\"uid\":18446744073709551616,\"timeline\":\"2026-11-29 12:00:00\"}]}}",
        "{\"code\":0,\"data\":{\"room\":[{\"text\":\"a\",\"uid\":1e30,\"timeline\":\"2026-11-29 12:00:00\"}]}}",
        "{\"code\":0,\"data\":{\"room\":[{\"text\":\"a\",\"uid\":null,\"timeline\":\"2026-11-29 12:00:00\"}]}}",
        "{\"code\":0,\"data\":{\"room\":[{\"text\":\"a\",\"uid\":1}]}}",
        "{\"code\":0,\"data\":{\"room\":[{\"text\":\"a\",\"uid\":1,\"timeline\":\"2026-02-30 12:00:00\"}]}}",
        "{\"code\":0,\"data\":{\"room\":[{\"text\":\"a\",\"uid\":1,\"timeline\":12345}]}}"})
    @DisplayName("a wrong structure or wrong types anywhere fail the whole answer as a parse error")
    void wrongTypes(String text) {
      PollResult.Failure failure = pollFailure(200, JSON, text);

      assertThat(failure.outcome()).isEqualTo(PollOutcome.PARSE_ERROR);
      assertThat(failure.kind()).isEqualTo(FailureKind.RETRY);
    }

    @Test
    @DisplayName("a huge multi-line body gives a short single-line reason")
    void hugeBodyShortReason() {
      String page = "<html>\r\n" + "<p>line\tof\u0000junk 🎉</p>\n".repeat(20_000) + "</html>";

      PollResult.Failure failure = pollFailure(200, "text/html", page);

      assertThat(failure.reason()).hasSizeLessThanOrEqualTo(200).doesNotContain("\t", "\u0000");
    }

    @Test
    @DisplayName("a huge error message is capped without splitting an emoji")
    void hugeMessageCapped() {
      String message = "🎉".repeat(1000);
      PollResult.Failure failure = pollFailure(200, JSON, new JsonObject().put("code", -400).put("message", message).encode());

      assertThat(failure.reason()).hasSizeLessThanOrEqualTo(200).endsWith("...");
      String kept = failure.reason().substring(0, failure.reason().length() - 3);
      assertThat(Character.isHighSurrogate(kept.charAt(kept.length() - 1))).isFalse();
    }
  }

  @Nested
  @DisplayName("a room_init answer")
  class RoomInit {

    private RoomInitResult parse(int status, String text) {
      return PayloadParser.parseRoomInit(status, JSON, text == null ? null : body(text));
    }

    @Test
    @DisplayName("resolves a short id to the real id")
    void resolved() {
      RoomInitResult result = parse(200, """
          {"code":0,"msg":"ok","message":"ok","data":{"room_id":21452505,"short_id":1,"uid":7706705,
           "need_p2p":0,"is_hidden":false,"is_locked":false,"is_portrait":false,"live_status":1,
           "hidden_till":0,"lock_till":0,"encrypted":false,"pwd_verified":false,"live_time":1764388800,
           "room_shield":0,"is_sp":0,"special_type":0}}""");

      assertThat(result).isEqualTo(new RoomInitResult.Resolved(21452505L, 1L, 1));
    }

    @Test
    @DisplayName("accepts a room without short id, with numbers sent as text")
    void noShortId() {
      RoomInitResult result = parse(200, "{\"code\":0,\"data\":{\"room_id\":\"23058\",\"short_id\":0,\"live_status\":2}}");

      assertThat(result).isEqualTo(new RoomInitResult.Resolved(23058L, 0L, 2));
    }

    @Test
    @DisplayName("reports code 60004 as a room that does not exist")
    void notFound() {
      RoomInitResult result = parse(200, "{\"code\":60004,\"msg\":\"直播间不存在\",\"message\":\"直播间不存在\",\"data\":{}}");

      assertThat(result).isInstanceOf(RoomInitResult.NotFound.class);
      assertThat(((RoomInitResult.NotFound) result).reason()).contains("60004");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"code\":-412,\"message\":\"请求被拦截\"}", "{\"code\":-352,\"message\":\"风控校验失败\"}"})
    @DisplayName("reports risk codes as risk control")
    void riskCodes(String text) {
      assertThat(parse(200, text))
          .isEqualTo(new RoomInitResult.Failed(PollOutcome.RATE_LIMITED, FailureKind.RISK_CONTROL,
              ((RoomInitResult.Failed) parse(200, text)).reason()));
    }

    @Test
    @DisplayName("reports HTTP 412 as risk control")
    void http412() {
      RoomInitResult.Failed failed = (RoomInitResult.Failed) parse(412, "<html>412</html>");

      assertThat(failed.outcome()).isEqualTo(PollOutcome.RATE_LIMITED);
      assertThat(failed.kind()).isEqualTo(FailureKind.RISK_CONTROL);
    }

    @Test
    @DisplayName("classifies server errors, API errors and garbage as failures to retry")
    void retryable() {
      assertThat(parse(502, "<html>bad gateway</html>"))
          .extracting(r -> ((RoomInitResult.Failed) r).outcome()).isEqualTo(PollOutcome.HTTP_ERROR);
      assertThat(parse(200, "{\"code\":-400,\"message\":\"请求错误\"}"))
          .extracting(r -> ((RoomInitResult.Failed) r).outcome()).isEqualTo(PollOutcome.API_ERROR);
      assertThat(parse(200, "{\"code\":0,\"data\":{\"room_id\":"))
          .extracting(r -> ((RoomInitResult.Failed) r).outcome()).isEqualTo(PollOutcome.PARSE_ERROR);
      assertThat(parse(200, "{\"code\":0,\"data\":{\"short_id\":1}}"))
          .extracting(r -> ((RoomInitResult.Failed) r).outcome()).isEqualTo(PollOutcome.PARSE_ERROR);
      assertThat(parse(200, "{\"code\":0,\"data\":[]}"))
          .extracting(r -> ((RoomInitResult.Failed) r).outcome()).isEqualTo(PollOutcome.PARSE_ERROR);
      assertThat(parse(200, null))
          .extracting(r -> ((RoomInitResult.Failed) r).outcome()).isEqualTo(PollOutcome.PARSE_ERROR);
      assertThat(parse(200, "{\"code\":-400}"))
          .extracting(r -> ((RoomInitResult.Failed) r).kind()).isEqualTo(FailureKind.RETRY);
    }
  }

  @Test
  @DisplayName("never throws, whatever bytes arrive")
  void neverThrows() {
    byte[] valid = answer(MODERN_ITEM + "," + LEGACY_ITEM, LEGACY_ITEM).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Random random = new Random(20261129L);
    for (int round = 0; round < 1500; round++) {
      byte[] mutated = valid.clone();
      int edits = 1 + random.nextInt(8);
      for (int e = 0; e < edits; e++) {
        mutated[random.nextInt(mutated.length)] = (byte) random.nextInt(256);
      }
      int length = random.nextInt(4) == 0 ? random.nextInt(mutated.length) : mutated.length;
      Buffer fuzzed = Buffer.buffer().appendBytes(mutated, 0, length);
      int status = random.nextInt(5) == 0 ? 400 + random.nextInt(200) : 200;
      // An exception fails the test by itself; a null result is checked.
      if (PayloadParser.parsePoll(status, JSON, fuzzed) == null || PayloadParser.parseRoomInit(status, JSON, fuzzed) == null) {
        throw new AssertionError("null result for round " + round);
      }
    }
  }

  @Test
  @DisplayName("survives deeply nested JSON without a stack overflow")
  void deepNesting() {
    String deep = "{\"code\":0,\"data\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";

    assertThat(pollFailure(200, JSON, deep).outcome()).isEqualTo(PollOutcome.PARSE_ERROR);
  }

  @Test
  @DisplayName("reads a timeline digit by digit exactly as the strict formatter does: UTC+8, impossible dates and"
      + " any other shape refused")
  void timelineFastPathMatchesTheFormatter() {
    java.time.format.DateTimeFormatter strict = java.time.format.DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss",
        java.util.Locale.ROOT).withResolverStyle(java.time.format.ResolverStyle.STRICT);
    String[] timelines = {"2026-11-29 12:00:00", "2024-02-29 23:59:59", "0001-01-01 00:00:00", "2026-02-29 12:00:00",
        "2026-02-30 12:00:00", "2026-11-29 24:00:00", "2026-11-29 12:60:00", "2026-13-01 00:00:00",
        "2026-00-10 00:00:00", "2026-11-29T12:00:00", "2026-11-29 12:00", "2026-11-29 12:00:00 ", " 026-11-29 12:00:00",
        "2026-1a-29 12:00:00", "\uff12026-11-29 12:00:00", "+2026-11-29 12:00:00", ""};
    for (String timeline : timelines) {
      Long expected;
      try {
        expected = java.time.LocalDateTime.parse(timeline, strict).toInstant(java.time.ZoneOffset.ofHours(8))
            .toEpochMilli();
      } catch (java.time.format.DateTimeParseException e) {
        expected = null;
      }
      assertThat(PayloadParser.timelineMillis(timeline)).as(timeline).isEqualTo(expected);
    }
    assertThat(PayloadParser.timelineMillis("2026-11-29 12:00:00")).isEqualTo(Instant.parse("2026-11-29T04:00:00Z")
        .toEpochMilli());
  }
}
