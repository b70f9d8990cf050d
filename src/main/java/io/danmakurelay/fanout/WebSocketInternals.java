package io.danmakurelay.fanout;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.internal.http.WebSocketInternal;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;

/**
 * The only place the fan-out reaches past Vert.x's public API (checked for Vert.x 5.0.7), for the things
 * it has no public way to do. {@code WebSocketInternalsTest} fails loudly when an upgrade breaks any of
 * them; the fan-out itself stays correct without them (slower, or a dead client lingers longer).
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
   * Writes text frames to one WebSocket's Netty channel without flushing each, then flushes once. Vert.x
   * 5.0.7's {@code writeFrame} flushes every frame written from the event loop outside a read (a
   * {@code write(2)} per frame per client, which is where the fan-out's time went); Netty's own
   * {@code write}/{@code flush} pair lets the fan-out write a client's frames of one batch and flush them
   * together. Frames still pass the whole outbound pipeline (the WebSocket encoder, permessage-deflate when
   * the client negotiated it). Usable only on the channel's event loop ({@link #onEventLoop}).
   */
  static final class DirectWriter {
    private final ChannelHandlerContext chctx;

    private DirectWriter(ChannelHandlerContext chctx) {
      this.chctx = chctx;
    }

    /** The writer of this WebSocket's channel, or null when the channel cannot be reached. */
    static DirectWriter of(ServerWebSocket ws) {
      WebSocketInternal internal = unwrap(ws);
      return internal == null ? null : new DirectWriter(internal.channelHandlerContext());
    }

    /** Whether the calling thread is the channel's event loop (the only thread that may use this writer). */
    boolean onEventLoop() {
      return chctx.executor().inEventLoop();
    }

    /** False while Netty's outbound buffer is above its high-water mark (the client does not keep up). */
    boolean writable() {
      return chctx.channel().isWritable();
    }

    /** Queues one final text frame over {@code utf8} (shared, never copied here) without flushing. */
    void write(Buffer utf8) {
      chctx.write(new TextWebSocketFrame(true, 0, ((BufferInternal) utf8).getByteBuf()), chctx.voidPromise());
    }

    /** Flushes what was written; {@code written} runs on the event loop once it reached the socket (or failed). */
    void flush(Runnable written) {
      chctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> written.run());
    }
  }

  /**
   * {@code count} event-loop contexts on distinct event loops, {@code first} (an event-loop context) the
   * first of them; fewer when Vert.x has fewer event loops. Vert.x's public API gives a fresh context only
   * by deploying a verticle; the fan-out wants one per shard, each on its own event loop.
   */
  static List<Context> eventLoopContexts(Vertx vertx, Context first, int count) {
    VertxInternal internal = (VertxInternal) vertx;
    EventLoop firstLoop = ((ContextInternal) first).nettyEventLoop();
    List<Context> contexts = new ArrayList<>(count);
    contexts.add(first);
    for (EventExecutor executor : internal.nettyEventLoopGroup()) {
      if (contexts.size() >= count) {
        break;
      }
      if (executor != firstLoop && executor instanceof EventLoop loop) {
        contexts.add(internal.contextBuilder().withEventLoop(loop).build());
      }
    }
    return contexts;
  }

  /** Whether the calling thread is the event loop of {@code context}. */
  static boolean onEventLoopOf(Context context) {
    return ((ContextInternal) context).nettyEventLoop().inEventLoop();
  }

  /**
   * Closes the TCP connection under a WebSocket at once and says whether it could. The public close()
   * first waits for the close frame to be flushed, which never happens for a client that stopped reading.
   */
  static boolean dropTransport(ServerWebSocket ws) {
    WebSocketInternal internal = unwrap(ws);
    if (internal == null) {
      return false;
    }
    // From the first handler's context the close goes straight to the socket, past Vert.x's handler that
    // would turn it into a graceful close.
    ChannelHandlerContext first = internal.channelHandlerContext().pipeline().firstContext();
    if (first == null) {
      return false;
    }
    first.close();
    return true;
  }

  /** Vert.x Web hands out a wrapper around the core WebSocket (field {@code delegate}): unwrap it. */
  private static WebSocketInternal unwrap(ServerWebSocket ws) {
    Object current = ws;
    for (int depth = 0; depth < 4 && current != null; depth++) {
      if (current instanceof WebSocketInternal internal) {
        return internal;
      }
      current = wrappedDelegate(current);
    }
    return null;
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
