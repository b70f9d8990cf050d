package io.danmakurelay.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpObjectEncoder;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionEncoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandler;
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
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.VertxHandler;
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
   * together. {@link #write} passes the whole outbound pipeline (the WebSocket encoder, permessage-deflate
   * when the client negotiated it); {@link #writeEncoded} writes a frame's wire bytes encoded once for every
   * connection ({@link #takesEncoded}). Usable only on the channel's event loop ({@link #onEventLoop}).
   */
  static final class DirectWriter {
    private final ChannelHandlerContext chctx;
    private final ConnectionBase connection;
    private final boolean takesEncoded;
    // Payload bytes written and not yet reported to Vert.x's network metrics (reported at each flush).
    private long unreportedBytes;
    // The last frame written, held back so that the flush writes it with the promise that tells when the
    // batch reached the socket (instead of an empty write of its own per flush). Always written by the next
    // write or flush: the fan-out flushes every connection it wrote to at the end of each action.
    private Object held;

    private DirectWriter(ChannelHandlerContext chctx) {
      this.chctx = chctx;
      this.connection = chctx.handler() instanceof VertxHandler<?> handler ? handler.getConnection() : null;
      this.takesEncoded = plainWebSocketPipeline(chctx.pipeline());
    }

    /** The writer of this WebSocket's channel, or null when the channel cannot be reached. */
    static DirectWriter of(ServerWebSocket ws) {
      WebSocketInternal internal = unwrap(ws);
      return internal == null ? null : new DirectWriter(internal.channelHandlerContext());
    }

    /**
     * Whether the pipeline holds the WebSocket frame encoder and nothing that changes a frame before it: no
     * extension encoder (permessage-deflate, deflate-frame), no extension negotiation still under way, no HTTP
     * encoder left over from the handshake. Then the encoder's bytes for a text frame depend on the payload
     * alone, and a frame encoded once is what the encoder would write on this connection. Decided once: the
     * handshake (and with it any extension) is complete before a WebSocket is handed out.
     */
    private static boolean plainWebSocketPipeline(ChannelPipeline pipeline) {
      return pipeline.get(WebSocketFrameEncoder.class) != null
          && pipeline.get(WebSocketExtensionEncoder.class) == null
          && pipeline.get(WebSocketServerExtensionHandler.class) == null
          && pipeline.get(HttpObjectEncoder.class) == null;
    }

    /** Whether the calling thread is the channel's event loop (the only thread that may use this writer). */
    boolean onEventLoop() {
      return chctx.executor().inEventLoop();
    }

    /** Whether {@link #writeEncoded} may be used: the connection negotiated no extension. */
    boolean takesEncoded() {
      return takesEncoded;
    }

    /** False while Netty's outbound buffer is above its high-water mark (the client does not keep up). */
    boolean writable() {
      return chctx.channel().isWritable();
    }

    /** Queues one final text frame over {@code utf8} (shared, never copied here) without flushing. */
    void write(Buffer utf8) {
      unreportedBytes += utf8.length();
      hold(new TextWebSocketFrame(true, 0, ((BufferInternal) utf8).getByteBuf()));
    }

    /**
     * Queues a frame's shared wire bytes (a retained duplicate: the frame keeps its own reference) without
     * flushing. Written from the same handler context as {@link #write}, so every handler between here and
     * the socket sees it as it sees an encoded frame (the WebSocket encoder passes bytes through untouched),
     * and the two kinds of write stay in order.
     */
    void writeEncoded(EncodedFrame frame) {
      unreportedBytes += frame.payloadLength;
      hold(frame.wire.retainedDuplicate());
    }

    private void hold(Object message) {
      if (held != null) {
        chctx.write(held, chctx.voidPromise());
      }
      held = message;
    }

    /** One text frame over {@code utf8}, encoded with this channel's allocator. */
    EncodedFrame encode(Buffer utf8) {
      return EncodedFrame.of(utf8, chctx.alloc());
    }

    /**
     * Flushes what was written; {@code listener} is told {@code frames} and {@code bytes} on the event loop
     * once they reached the socket (or failed).
     */
    void flush(int frames, long bytes, FlushListener listener) {
      if (connection != null && unreportedBytes > 0) {
        // As Vert.x's own writeFrame does (payload bytes, the frame header not counted).
        connection.reportBytesWritten(unreportedBytes);
      }
      unreportedBytes = 0;
      Object last = held;
      held = null;
      chctx.writeAndFlush(last != null ? last : Unpooled.EMPTY_BUFFER).addListener(new Flushed(listener, frames, bytes));
    }
  }

  /** Told when the frames of one flush reached the socket, or failed to. */
  interface FlushListener {
    void flushed(int frames, long bytes);
  }

  /** One flush's listener: a plain object, not a capturing lambda (one allocation per client per batch). */
  private static final class Flushed implements ChannelFutureListener {
    private final FlushListener listener;
    private final int frames;
    private final long bytes;

    Flushed(FlushListener listener, int frames, long bytes) {
      this.listener = listener;
      this.frames = frames;
      this.bytes = bytes;
    }

    @Override
    public void operationComplete(ChannelFuture future) {
      listener.flushed(frames, bytes);
    }
  }

  /**
   * A final, unmasked text frame's wire bytes (header and payload, as a server's WebSocket encoder writes
   * them, RFC 6455 §5.2), encoded once and written to every connection that takes them. It holds one
   * reference to a direct buffer (the socket writes it without a copy) until {@link #release}; each write
   * takes its own, released by Netty once the bytes are written or dropped.
   */
  static final class EncodedFrame {
    private static final int FIN_TEXT = 0x81;

    private final ByteBuf wire;
    private final int payloadLength;

    private EncodedFrame(ByteBuf wire, int payloadLength) {
      this.wire = wire;
      this.payloadLength = payloadLength;
    }

    static EncodedFrame of(Buffer utf8, ByteBufAllocator alloc) {
      ByteBuf payload = ((BufferInternal) utf8).getByteBuf();
      int length = payload.readableBytes();
      int header = length <= 125 ? 2 : length <= 0xFFFF ? 4 : 10;
      ByteBuf wire = alloc.directBuffer(header + length);
      wire.writeByte(FIN_TEXT);
      if (length <= 125) {
        wire.writeByte(length);
      } else if (length <= 0xFFFF) {
        wire.writeByte(126);
        wire.writeShort(length);
      } else {
        wire.writeByte(127);
        wire.writeLong(length);
      }
      wire.writeBytes(payload, payload.readerIndex(), length);
      return new EncodedFrame(wire, length);
    }

    int payloadLength() {
      return payloadLength;
    }

    /** A copy of the wire bytes (for tests). */
    byte[] wireBytes() {
      byte[] bytes = new byte[wire.readableBytes()];
      wire.getBytes(wire.readerIndex(), bytes);
      return bytes;
    }

    /** Gives up this frame's own reference; writes already queued keep theirs. */
    void release() {
      wire.release();
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
