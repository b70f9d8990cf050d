package io.danmakurelay.web;

import io.danmakurelay.Addresses;
import io.danmakurelay.cluster.ClusterView;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * The room list as the cluster sees it (SPEC §5, §8): {@code GET /api/rooms} (the poller's list, with each room's
 * {@code owner} when clustered) and {@code GET /api/cluster} (members, partitions, rooms per member, generation).
 * Reads the poller's rooms over the event bus and ownership from the {@link ClusterView}; writes nothing.
 */
public final class ClusterRoutes {

  private static final String JSON = "application/json; charset=utf-8";
  private static final DeliveryOptions ASK = new DeliveryOptions().setSendTimeout(5_000).setLocalOnly(true);

  private final Vertx vertx;
  private final ClusterView cluster;
  private final LongConsumer roomsOwned;

  /** {@code roomsOwned}: told how many rooms this relay owns each time the room list is read. */
  public ClusterRoutes(Vertx vertx, ClusterView cluster, LongConsumer roomsOwned) {
    this.vertx = vertx;
    this.cluster = cluster;
    this.roomsOwned = roomsOwned;
  }

  /** Mount before the {@code /api/*} fallback. */
  public void mount(Router router) {
    router.get(Endpoints.ROOMS).handler(ctx -> answer(ctx, this::withOwners));
    router.get(Endpoints.CLUSTER).handler(ctx -> answer(ctx, this::clusterJson));
  }

  /** Reads the room list again (for the {@code danmaku_rooms_owned} gauge between API calls). */
  public void refresh() {
    vertx.eventBus().<JsonObject>request(Addresses.ROOMS_LIST, new JsonObject(), ASK)
        .onSuccess(reply -> withOwners(reply.body()));
  }

  private void answer(RoutingContext ctx, java.util.function.Function<JsonObject, JsonObject> shape) {
    vertx.eventBus().<JsonObject>request(Addresses.ROOMS_LIST, new JsonObject(), ASK)
        .onSuccess(reply -> ctx.response().putHeader("Content-Type", JSON).end(shape.apply(reply.body()).encode()))
        .onFailure(e -> WebVerticle.error(ctx, 503, "the poller did not answer"));
  }

  /** The poller's list; in a cluster each room gains {@code owner} (null while its partition is unassigned). */
  JsonObject withOwners(JsonObject roomList) {
    JsonArray rooms = roomList.getJsonArray("rooms", new JsonArray());
    long owned = 0;
    for (int i = 0; i < rooms.size(); i++) {
      JsonObject room = rooms.getJsonObject(i);
      String owner = ownerOf(room);
      if (cluster.instanceId().equals(owner)) {
        owned++;
      }
      if (cluster.enabled()) {
        room.put("owner", owner);
      }
    }
    roomsOwned.accept(owned);
    return roomList;
  }

  /** SPEC §5: {@code {"enabled","group","generation","members":[{"id","partitions","rooms"}]}}. */
  JsonObject clusterJson(JsonObject roomList) {
    JsonArray rooms = withOwners(roomList).getJsonArray("rooms", new JsonArray());
    Map<String, Integer> perMember = new LinkedHashMap<>();
    for (int i = 0; i < rooms.size(); i++) {
      String owner = ownerOf(rooms.getJsonObject(i));
      if (owner != null) {
        perMember.merge(owner, 1, Integer::sum);
      }
    }
    JsonArray members = new JsonArray();
    for (ClusterView.Member member : cluster.members()) {
      members.add(new JsonObject()
          .put("id", member.id())
          .put("partitions", new JsonArray(member.partitions().stream().sorted().map(p -> (Object) p).toList()))
          .put("rooms", perMember.getOrDefault(member.id(), 0)));
    }
    return new JsonObject()
        .put("enabled", cluster.enabled())
        .put("group", cluster.group())
        .put("generation", cluster.generation())
        .put("members", members);
  }

  /**
   * The member that owns the room, or null: a room is placed by its real id, so one not resolved yet has no
   * owner in a cluster; a single relay owns every room it follows.
   */
  private String ownerOf(JsonObject room) {
    if (!cluster.enabled()) {
      return cluster.instanceId();
    }
    Long realId = room.getLong("room_id");
    return realId == null || realId <= 0 ? null : cluster.ownerOf(realId).orElse(null);
  }
}
