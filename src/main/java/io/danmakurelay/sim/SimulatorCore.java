package io.danmakurelay.sim;

import io.danmakurelay.upstream.DanmakuList;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The state every HTTP handler instance shares: traffic model, risk control, ordered faults and
 * counters, plus the stats document and the control operations. Thread-safe; no I/O.
 */
final class SimulatorCore {

  final SimulatorSettings settings;
  final TrafficModel model;
  final RateLimitBan risk;
  final FaultPlan faults = new FaultPlan();
  final PushHub push;
  final LongSupplier clock;
  final AtomicLong pollRequests = new AtomicLong();
  final AtomicLong roomInitRequests = new AtomicLong();
  final AtomicLong otherRequests = new AtomicLong();
  final VideoCatalog videos;

  SimulatorCore(SimulatorSettings settings, LongSupplier clock) {
    this.settings = settings;
    this.clock = clock;
    this.model = new TrafficModel(settings, clock.getAsLong());
    this.risk = new RateLimitBan(settings.rateLimit(), settings.banSeconds());
    this.push = new PushHub(model, settings.seed());
    this.videos = new VideoCatalog(settings.seed(), clock.getAsLong());
  }

  /**
   * Until when upstream requests are held before they are counted and served ({@code stall}): a stalled event
   * loop or a queue on the way, the way arrivals bunch at a real upstream.
   */
  volatile long stallUntilMs;

  long now() {
    return clock.getAsLong();
  }

  /**
   * Applies one control operation; throws {@link IllegalArgumentException} with a message for the
   * caller when the operation is malformed.
   */
  JsonObject control(JsonObject op) {
    Object name = op.getValue("op");
    if (!(name instanceof String opName)) {
      throw new IllegalArgumentException("field 'op' must be a string");
    }
    long now = now();
    switch (opName) {
      case "rate" -> {
        long room = realRoom(op.getValue("room"));
        double rate = number(op.getValue("rate"), "rate");
        if (rate < 0 || Double.isInfinite(rate)) {
          throw new IllegalArgumentException("field 'rate' must be a finite number >= 0");
        }
        model.setRate(room, rate, now);
        return ok(opName).put("room", room).put("rate", rate);
      }
      case "ban" -> {
        double seconds = number(op.getValue("seconds"), "seconds");
        if (seconds < 0 || seconds > 86_400 || seconds != Math.rint(seconds)) {
          throw new IllegalArgumentException("field 'seconds' must be a whole number 0..86400");
        }
        risk.ban(now, (int) seconds);
        return ok(opName).put("banned_until", risk.bannedUntilMs());
      }
      case "fault" -> {
        Long room = op.getValue("room") == null ? null : realRoom(op.getValue("room"));
        Object modeValue = op.getValue("mode");
        FaultMode mode = modeValue instanceof String s ? FaultMode.fromWire(s).orElse(null) : null;
        if (mode == null) {
          throw new IllegalArgumentException("field 'mode' must be one of " + modeNames());
        }
        double count = op.getValue("count") == null ? 1 : number(op.getValue("count"), "count");
        if (count < 0 || count > 1_000_000 || count != Math.rint(count)) {
          throw new IllegalArgumentException("field 'count' must be a whole number 0..1000000");
        }
        faults.order(room, mode, (int) count);
        JsonObject answer = ok(opName).put("mode", mode.wireName()).put("count", (int) count);
        return room == null ? answer.putNull("room") : answer.put("room", room);
      }
      case "stall" -> {
        double ms = number(op.getValue("ms"), "ms");
        if (ms < 0 || ms > 60_000 || ms != Math.rint(ms)) {
          throw new IllegalArgumentException("field 'ms' must be a whole number 0..60000");
        }
        stallUntilMs = now + (long) ms;
        return ok(opName).put("stalled_until", stallUntilMs);
      }
      case "pause" -> {
        model.pause(now);
        return ok(opName);
      }
      case "resume" -> {
        model.resume(now);
        return ok(opName);
      }
      case "push" -> {
        return pushControl(op, now).put("ok", true).put("op", opName);
      }
      case "video-fault" -> {
        return videoFault(op);
      }
      case "video-retitle" -> {
        return videoRetitle(op);
      }
      default -> throw new IllegalArgumentException(
          "unknown op '" + opName + "' (rate, ban, fault, stall, pause, resume, push, video-fault, video-retitle)");
    }
  }

  /**
   * Push faults: {@code drop} (now), {@code drop-every} ({@code min_s}..{@code max_s} after each auth, 0 off),
   * {@code refuse-token}, {@code silent} ({@code on}), {@code garbage} ({@code kind}), {@code rotate-keys},
   * {@code live} ({@code live}), {@code dead-host} ({@code port}: listed first in every {@code host_list}, refusing;
   * 0 off); {@code room} optional where it makes sense. An IP-wide refusal is {@code ban}.
   */
  private JsonObject pushControl(JsonObject op, long now) {
    Object faultValue = op.getValue("fault");
    if (!(faultValue instanceof String fault)) {
      throw new IllegalArgumentException("field 'fault' must be one of drop, drop-every, refuse-token, silent, "
          + "garbage, rotate-keys, live, dead-host");
    }
    Long room = op.getValue("room") == null ? null : realRoom(op.getValue("room"));
    JsonObject answer = new JsonObject().put("fault", fault);
    switch (fault) {
      case "drop" -> answer.put("dropped", push.drop(room));
      case "drop-every" -> {
        double min = number(op.getValue("min_s"), "min_s");
        double max = number(op.getValue("max_s"), "max_s");
        if (min < 0 || max < min || max > 86_400) {
          throw new IllegalArgumentException("fields 'min_s' <= 'max_s' must be seconds 0..86400");
        }
        push.dropEvery((long) (min * 1000), (long) (max * 1000));
      }
      case "dead-host" -> {
        double port = number(op.getValue("port"), "port");
        if (port < 0 || port > 65_535 || port != Math.rint(port)) {
          throw new IllegalArgumentException("field 'port' must be a port 1..65535, or 0 for none");
        }
        push.deadHost((int) port);
      }
      case "refuse-token" -> push.refuseTokens(room);
      case "silent" -> push.silent(room, !Boolean.FALSE.equals(op.getValue("on")));
      case "garbage" -> {
        Object kind = op.getValue("kind");
        if (!(kind instanceof String k) || !java.util.Arrays.asList(PushHub.GARBAGE_KINDS).contains(k)) {
          throw new IllegalArgumentException("field 'kind' must be one of "
              + String.join(", ", PushHub.GARBAGE_KINDS));
        }
        push.orderGarbage(room, k);
      }
      case "rotate-keys" -> answer.put("key_generation", rotateKeys());
      case "live" -> {
        if (room == null) {
          throw new IllegalArgumentException("field 'room' is required for live");
        }
        push.setLive(room, !Boolean.FALSE.equals(op.getValue("live")), now);
      }
      default -> throw new IllegalArgumentException("unknown push fault '" + fault + "'");
    }
    return room == null ? answer.putNull("room") : answer.put("room", room);
  }

  private int rotateKeys() {
    push.rotateKeys();
    return push.keyGeneration();
  }

  /** {@code {"op":"video-fault","id":AID|CID|EP,"mode":"..","count":K}}: the next K answers about that id. */
  private JsonObject videoFault(JsonObject op) {
    Object idValue = op.getValue("id");
    if (!(idValue instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || !videos.knows(n.longValue())) {
      throw new IllegalArgumentException("field 'id' must be the aid, cid or episode id of a simulated video");
    }
    Object modeValue = op.getValue("mode");
    VideoFault mode = modeValue instanceof String s ? VideoFault.fromWire(s).orElse(null) : null;
    if (mode == null) {
      throw new IllegalArgumentException("field 'mode' must be one of " + VideoFault.names());
    }
    double count = op.getValue("count") == null ? 1 : number(op.getValue("count"), "count");
    if (count < 0 || count > 1_000_000 || count != Math.rint(count)) {
      throw new IllegalArgumentException("field 'count' must be a whole number 0..1000000");
    }
    videos.order(n.longValue(), mode, (int) count);
    return ok("video-fault").put("id", n.longValue()).put("mode", mode.wireName()).put("count", (int) count);
  }

  /** {@code {"op":"video-retitle","aid":AID,"title":".."}}: the uploader edits the title (a metadata change). */
  private JsonObject videoRetitle(JsonObject op) {
    Object aidValue = op.getValue("aid");
    if (!(aidValue instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
        || !videos.aids().contains(n.longValue())) {
      throw new IllegalArgumentException("field 'aid' must be the aid of a simulated video");
    }
    if (!(op.getValue("title") instanceof String title) || title.isBlank() || title.length() > 200) {
      throw new IllegalArgumentException("field 'title' must be a title of 1..200 characters");
    }
    videos.retitle(n.longValue(), title);
    return ok("video-retitle").put("aid", n.longValue()).put("title", title);
  }

  private static JsonObject ok(String op) {
    return new JsonObject().put("ok", true).put("op", op);
  }

  private long realRoom(Object value) {
    if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
      throw new IllegalArgumentException("field 'room' must be a real room id (a whole number)");
    }
    long room = n.longValue();
    if (!model.isRealId(room)) {
      throw new IllegalArgumentException("no room with real id " + room);
    }
    return room;
  }

  private static double number(Object value, String field) {
    if (!(value instanceof Number n) || !Double.isFinite(n.doubleValue())) {
      throw new IllegalArgumentException("field '" + field + "' must be a number");
    }
    return n.doubleValue();
  }

  private static String modeNames() {
    StringBuilder names = new StringBuilder();
    for (FaultMode m : FaultMode.values()) {
      if (!names.isEmpty()) {
        names.append(", ");
      }
      names.append(m.wireName());
    }
    return names.toString();
  }

  /**
   * The {@code /sim/stats} document as text. Written by hand rather than through JsonObject because
   * with messages it can hold millions of entries.
   */
  String statsJson(boolean withMessages, Long onlyRoom) {
    return statsJson(withMessages, onlyRoom, false);
  }

  /** As above; {@code withPush} adds every message seq and event id pushed to each connection. */
  String statsJson(boolean withMessages, Long onlyRoom, boolean withPush) {
    long now = now();
    List<TrafficModel.RoomSnapshot> rooms = model.snapshot(now, withMessages);
    long generated = 0;
    long generatedRoom = 0;
    long generatedAdmin = 0;
    for (TrafficModel.RoomSnapshot r : rooms) {
      generatedRoom += r.generatedRoom();
      generatedAdmin += r.generatedAdmin();
    }
    generated = generatedRoom + generatedAdmin;
    long kept = Math.min(model.keptMessages(), model.messageCap());
    StringBuilder out = new StringBuilder(withMessages ? 1 << 16 : 4096);
    out.append("{\"now\":").append(now)
        .append(",\"started_at\":").append(model.startMs())
        .append(",\"paused\":").append(model.paused())
        .append(",\"totals\":{\"generated\":").append(generated)
        .append(",\"generated_room\":").append(generatedRoom)
        .append(",\"generated_admin\":").append(generatedAdmin)
        .append(",\"requests\":").append(risk.total())
        .append(",\"requests_rejected_412\":").append(risk.rejected())
        .append(",\"max_requests_1s\":").append(risk.maxInWindow())
        .append(",\"bans\":").append(risk.bans())
        .append(",\"banned\":").append(risk.banned(now))
        .append(",\"poll_requests\":").append(pollRequests.get())
        .append(",\"room_init_requests\":").append(roomInitRequests.get())
        .append(",\"other_requests\":").append(otherRequests.get())
        .append(",\"faults_served\":").append(faults.served())
        .append(",\"faults_pending\":").append(faults.pending())
        .append(",\"messages_kept\":").append(kept)
        .append(",\"messages_cap\":").append(model.messageCap())
        .append(",\"messages_complete\":").append(generated <= model.messageCap())
        .append("},\"settings\":{\"rooms\":").append(settings.rooms())
        .append(",\"total_rate\":").append(settings.totalRate())
        .append(",\"zipf\":").append(settings.zipf())
        .append(",\"seed\":").append(settings.seed())
        .append(",\"rate_limit\":").append(settings.rateLimit())
        .append(",\"ban_seconds\":").append(settings.banSeconds())
        .append(",\"repeat_probability\":").append(settings.repeatProbability())
        .append(",\"admin_fraction\":").append(settings.adminFraction())
        .append(",\"short_id_rooms\":").append(settings.shortIdRooms())
        .append("},\"push\":").append(push.statsJson(withPush).encode())
        .append(",\"rooms\":[");
    boolean first = true;
    for (TrafficModel.RoomSnapshot r : rooms) {
      if (onlyRoom != null && onlyRoom != r.realId()) {
        continue;
      }
      if (!first) {
        out.append(',');
      }
      first = false;
      out.append("{\"room_id\":").append(r.realId())
          .append(",\"short_id\":").append(r.shortId())
          .append(",\"rate\":").append(r.rate())
          .append(",\"generated\":").append(r.generated())
          .append(",\"generated_room\":").append(r.generatedRoom())
          .append(",\"generated_admin\":").append(r.generatedAdmin())
          .append(",\"requests\":").append(r.polls())
          .append(",\"faults\":").append(r.faults())
          .append(",\"polled\":").append(r.polledSeqs().cardinality());
      int[] pushConnections = push.roomConnections(r.realId());
      out.append(",\"push_connections\":").append(pushConnections[0])
          .append(",\"push_connections_peak\":").append(pushConnections[1]);
      if (withPush) {
        // Which messages a served poll window held: with the seqs pushed to each connection, what a relay could capture.
        out.append(",\"polled_seqs\":[");
        boolean firstSeq = true;
        for (int seq = r.polledSeqs().nextSetBit(0); seq >= 0; seq = r.polledSeqs().nextSetBit(seq + 1)) {
          out.append(firstSeq ? "" : ",").append(seq);
          firstSeq = false;
        }
        out.append(']');
      }
      if (withMessages) {
        out.append(",\"messages\":[");
        for (int i = 0; i < r.messages().size(); i++) {
          if (i > 0) {
            out.append(',');
          }
          message(out, r.messages().get(i));
        }
        out.append(']');
      }
      out.append('}');
    }
    out.append("],\"video_totals\":").append(videos.totals().encode())
        .append(",\"videos\":").append(videos.statsJson(now).encode()).append('}');
    return out.toString();
  }

  private static void message(StringBuilder out, SimMessage m) {
    out.append("{\"seq\":").append(m.seq())
        .append(",\"list\":\"").append(m.list() == DanmakuList.ADMIN ? "admin" : "room").append('"')
        .append(",\"uid\":").append(m.uid())
        .append(",\"nickname\":");
    PayloadWriter.string(out, m.nickname(), false);
    out.append(",\"text\":");
    PayloadWriter.string(out, m.text(), false);
    out.append(",\"timeline\":\"").append(m.timeline()).append('"')
        .append(",\"ts\":").append(m.tsMs())
        .append(",\"id_str\":\"").append(m.idStr()).append('"')
        .append(",\"rnd\":\"").append(m.rnd()).append('"')
        .append(",\"ct\":\"").append(m.ct()).append('"')
        .append(",\"repeat\":").append(m.repeat())
        .append('}');
  }
}
