package io.danmakurelay.poll;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

/**
 * One new message on its way from the poller to the WebSocket fan-out. Passed by reference on the local
 * event bus (the value is never changed after it is built), so fan-out costs no copy.
 */
public record DanmakuEvent(long roomId, JsonObject value) {

  /** A local-only codec: the event crosses verticles within one JVM, never the network. */
  public static final class LocalCodec implements MessageCodec<DanmakuEvent, DanmakuEvent> {
    @Override
    public void encodeToWire(Buffer buffer, DanmakuEvent event) {
      throw new UnsupportedOperationException("danmaku events stay in the process");
    }

    @Override
    public DanmakuEvent decodeFromWire(int pos, Buffer buffer) {
      throw new UnsupportedOperationException("danmaku events stay in the process");
    }

    @Override
    public DanmakuEvent transform(DanmakuEvent event) {
      return event;
    }

    @Override
    public String name() {
      return "danmaku-event-local";
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }
}
