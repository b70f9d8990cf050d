package io.danmakurelay.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client over a plain socket, for tests that check the bytes a client receives: it does the
 * opening handshake by hand (optionally offering extensions), then hands out the raw server bytes as they
 * come, with no decoding, and sends masked text frames.
 */
public final class RawWebSocket implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  /** The server's handshake response, status line and headers. */
  public final String handshakeResponse;

  private RawWebSocket(Socket socket, String handshakeResponse) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
    this.handshakeResponse = handshakeResponse;
  }

  /** Connects to 127.0.0.1:port and upgrades {@code path}; {@code extensions} (may be null) is offered as is. */
  public static RawWebSocket open(int port, String path, String extensions) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), (int) WsProbe.WAIT_SECONDS * 1000);
    // A read that gets nothing for this long fails the test instead of hanging it.
    socket.setSoTimeout((int) WsProbe.WAIT_SECONDS * 3000);
    String request = "GET " + path + " HTTP/1.1\r\n"
        + "Host: 127.0.0.1:" + port + "\r\n"
        + "Upgrade: websocket\r\n"
        + "Connection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        + "Sec-WebSocket-Version: 13\r\n"
        + (extensions == null ? "" : "Sec-WebSocket-Extensions: " + extensions + "\r\n")
        + "\r\n";
    socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    InputStream in = socket.getInputStream();
    // Byte by byte up to the blank line: nothing of the first frame is read with the headers.
    while (!endsWithBlankLine(head)) {
      int b = in.read();
      if (b < 0) {
        socket.close();
        throw new IOException("connection closed during the handshake: " + head.toString(StandardCharsets.US_ASCII));
      }
      head.write(b);
    }
    String response = head.toString(StandardCharsets.US_ASCII);
    if (!response.startsWith("HTTP/1.1 101")) {
      socket.close();
      throw new IOException("upgrade refused: " + response);
    }
    return new RawWebSocket(socket, response);
  }

  private static boolean endsWithBlankLine(ByteArrayOutputStream head) {
    byte[] b = head.toByteArray();
    int n = b.length;
    return n >= 4 && b[n - 4] == '\r' && b[n - 3] == '\n' && b[n - 2] == '\r' && b[n - 1] == '\n';
  }

  /** Exactly the next {@code n} bytes the server sent, failing when the connection ends or stays silent first. */
  public byte[] readExactly(int n) throws IOException {
    byte[] bytes = in.readNBytes(n);
    if (bytes.length < n) {
      throw new IOException("connection ended after " + bytes.length + " of " + n + " bytes");
    }
    return bytes;
  }

  /** Sends one final, masked text frame (payload under 64 KiB). */
  public void sendText(String text) throws IOException {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    if (payload.length > 0xFFFF) {
      throw new IllegalArgumentException("payload too long for this test client");
    }
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame.write(0x81);
    if (payload.length <= 125) {
      frame.write(0x80 | payload.length);
    } else {
      frame.write(0x80 | 126);
      frame.write(payload.length >>> 8);
      frame.write(payload.length & 0xFF);
    }
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    frame.write(mask);
    for (int i = 0; i < payload.length; i++) {
      frame.write(payload[i] ^ mask[i & 3]);
    }
    out.write(frame.toByteArray());
    out.flush();
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // Closing a test socket: nothing left to do.
    }
  }
}
