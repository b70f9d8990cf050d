package io.danmakurelay.fanout;

import io.danmakurelay.upstream.RoomId;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * One client-to-server text frame, parsed and validated: subscribe (with optional resume points and events),
 * unsubscribe, ping, or the reason it is invalid. Pure: no Vert.x state, no exception escapes.
 */
sealed interface ClientRequest {

  /** {@code events}: also deliver the rooms' events. */
  record Subscribe(Set<Long> rooms, Map<Long, Long> since, boolean events) implements ClientRequest {}

  record Unsubscribe(Set<Long> rooms) implements ClientRequest {}

  record Ping() implements ClientRequest {}

  record Invalid(String error) implements ClientRequest {}

  /** Parses a text frame; {@code maxRooms} bounds the rooms one frame may name. */
  static ClientRequest parse(String text, int maxRooms) {
    JsonObject json;
    try {
      json = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      return new Invalid("malformed JSON: expected an object such as {\"op\":\"ping\"}");
    }
    if (!(json.getValue("op") instanceof String op)) {
      return new Invalid("missing op");
    }
    switch (op) {
      case "ping":
        return new Ping();
      case "subscribe":
      case "unsubscribe":
        break;
      default:
        return new Invalid("unknown op: " + abbreviate(op));
    }
    Object roomsValue = json.getValue("rooms");
    if (!(roomsValue instanceof JsonArray roomsArray)) {
      return new Invalid("rooms must be an array of room ids");
    }
    if (roomsArray.isEmpty()) {
      return new Invalid("rooms must not be empty");
    }
    if (roomsArray.size() > maxRooms) {
      return new Invalid("too many rooms: at most " + maxRooms + " per connection");
    }
    Set<Long> rooms = new LinkedHashSet<>();
    for (Object item : roomsArray) {
      long room = roomId(item);
      if (room <= 0) {
        return new Invalid("room ids must be positive integers");
      }
      rooms.add(room);
    }
    if (op.equals("unsubscribe")) {
      return new Unsubscribe(rooms);
    }
    Object sinceValue = json.getValue("since");
    Map<Long, Long> since = new LinkedHashMap<>();
    if (sinceValue != null) {
      if (!(sinceValue instanceof JsonObject sinceObject)) {
        return new Invalid("since must be an object of room id to seq");
      }
      for (Map.Entry<String, Object> entry : sinceObject) {
        long room = roomId(entry.getKey());
        if (room <= 0 || !rooms.contains(room)) {
          return new Invalid("since keys must be room ids listed in rooms");
        }
        if (!(entry.getValue() instanceof Number n) || !isIntegral(n) || n.longValue() < 0) {
          return new Invalid("since values must be non-negative integer seqs");
        }
        since.put(room, n.longValue());
      }
    }
    Object eventsValue = json.getValue("events");
    if (eventsValue != null && !(eventsValue instanceof Boolean)) {
      return new Invalid("events must be true or false");
    }
    return new Subscribe(rooms, since, Boolean.TRUE.equals(eventsValue));
  }

  /** A room id by the relay's one rule ({@link RoomId}), else -1. */
  private static long roomId(Object value) {
    return RoomId.parseOrNegative(value);
  }

  private static boolean isIntegral(Number n) {
    return n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
