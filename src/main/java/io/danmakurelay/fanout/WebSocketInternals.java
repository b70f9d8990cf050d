package io.danmakurelay.fanout;

import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.internal.http.WebSocketInternal;
import java.lang.reflect.Field;

/**
 * The only place the fan-out reaches past Vert.x's public API (checked for Vert.x 5.0.7), for the two
 * things it has no public way to do. {@code WebSocketInternalsTest} fails loudly when an upgrade breaks
 * either; the fan-out itself stays correct without them (slower, or a dead client lingers longer).
 */
final class WebSocketInternals {

  private WebSocketInternals() {}

  /**
   * A text frame over already encoded bytes. The public factory takes a String and encodes it again for
   * every subscriber; this shares one serialised copy (Netty writes a slice per frame, so reader indexes
   * do not interfere, and Vert.x heap buffers are not reference counted).
   */
  static WebSocketFrame sharedTextFrame(Buffer utf8) {
    return new WebSocketFrameImpl(WebSocketFrameType.TEXT, ((BufferInternal) utf8).getByteBuf(), true);
  }

  /**
   * Closes the TCP connection under a WebSocket at once and says whether it could. The public close()
   * first waits for the close frame to be flushed, which never happens for a client that stopped reading.
   * Vert.x Web hands out a wrapper around the core WebSocket (field {@code delegate}): unwrap it to reach
   * the channel.
   */
  static boolean dropTransport(ServerWebSocket ws) {
    Object current = ws;
    for (int depth = 0; depth < 4 && current != null; depth++) {
      if (current instanceof WebSocketInternal internal) {
        // From the first handler's context the close goes straight to the socket, past Vert.x's
        // handler that would turn it into a graceful close.
        ChannelHandlerContext first = internal.channelHandlerContext().pipeline().firstContext();
        if (first == null) {
          return false;
        }
        first.close();
        return true;
      }
      current = wrappedDelegate(current);
    }
    return false;
  }

  private static Object wrappedDelegate(Object wrapper) {
    try {
      Field field = wrapper.getClass().getDeclaredField("delegate");
      field.setAccessible(true);
      return field.get(wrapper);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }
}
