package io.danmakurelay.testsupport;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;

/**
 * Debian's headless Chromium driven over the DevTools protocol, for page tests that wait on what the page
 * shows (not on a virtual-time budget): open a URL, evaluate JavaScript, click, take a screenshot, and read
 * what the page logged (console errors, exceptions, Content-Security-Policy refusals). Tests skip when
 * Chromium is not installed.
 */
public final class Chromium implements AutoCloseable {
  public static final Path BINARY = Path.of("/usr/bin/chromium");
  public static final String MISSING = "headless Chromium missing: apt-get install -y chromium fonts-noto-cjk";
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

  /** Every console message, exception and browser log entry of the page, as text. */
  public final List<String> log = new CopyOnWriteArrayList<>();
  private final Process process;
  private final Path profile;
  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();

  public static boolean installed() {
    return Files.isExecutable(BINARY);
  }

  /** Starts Chromium with a fresh profile and attaches to its blank page. */
  public static Chromium start(int width, int height) throws Exception {
    // Not under a test's @TempDir: Chromium's helper processes may still write to the profile for a moment
    // after the browser exits, which would fail the directory's clean-up.
    Path profile = Files.createTempDirectory("chromium-profile");
    Process process = new ProcessBuilder(BINARY.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars", "--remote-debugging-port=0",
        "--remote-allow-origins=*", "--window-size=" + width + "," + height, "--user-data-dir=" + profile,
        "about:blank")
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try {
      Path portFile = profile.resolve("DevToolsActivePort");
      // Chromium writes the file once its DevTools server listens; there is nothing to be told of, so look.
      Awaitility.await("chromium's DevTools port").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
          .until(() -> {
            if (!process.isAlive()) {
              throw new IllegalStateException("chromium exited with " + process.exitValue());
            }
            return Files.exists(portFile) && Files.readAllLines(portFile).size() >= 2;
          });
      int port = Integer.parseInt(Files.readAllLines(portFile).get(0).trim());
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10)).build();
      String targets = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list"))
          .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString()).body();
      String pageUrl = null;
      for (Object target : new JsonArray(targets)) {
        JsonObject t = (JsonObject) target;
        if ("page".equals(t.getString("type"))) {
          pageUrl = t.getString("webSocketDebuggerUrl");
        }
      }
      if (pageUrl == null) {
        throw new IllegalStateException("chromium has no page to attach to: " + targets);
      }
      Chromium browser = new Chromium(process, profile, http, pageUrl);
      // The window's size is not the page's in headless mode: fix the viewport, so layout and screenshot agree.
      browser.command("Emulation.setDeviceMetricsOverride", new JsonObject().put("width", width)
          .put("height", height).put("deviceScaleFactor", 1).put("mobile", false));
      return browser;
    } catch (Exception | Error e) {
      process.destroyForcibly();
      throw e;
    }
  }

  private Chromium(Process process, Path profile, HttpClient http, String pageUrl) throws Exception {
    this.process = process;
    this.profile = profile;
    this.socket = http.newWebSocketBuilder().buildAsync(URI.create(pageUrl), new Listener())
        .get(20, TimeUnit.SECONDS);
    command("Runtime.enable", new JsonObject());
    command("Log.enable", new JsonObject());
    command("Page.enable", new JsonObject());
  }

  /** Sends one DevTools command and waits for its result. */
  public JsonObject command(String method, JsonObject params) throws Exception {
    int id = ids.incrementAndGet();
    CompletableFuture<JsonObject> reply = new CompletableFuture<>();
    pending.put(id, reply);
    socket.sendText(new JsonObject().put("id", id).put("method", method).put("params", params).encode(), true)
        .get(20, TimeUnit.SECONDS);
    JsonObject answer = reply.get(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    if (answer.containsKey("error")) {
      throw new IllegalStateException(method + " failed: " + answer.getJsonObject("error").encode());
    }
    return answer.getJsonObject("result", new JsonObject());
  }

  /** Navigates (from the blank start page) and waits until the page has loaded and its deferred scripts ran. */
  public void open(String url) throws Exception {
    command("Page.navigate", new JsonObject().put("url", url));
    Awaitility.await("page " + url + " loaded").atMost(COMMAND_TIMEOUT).ignoreExceptions()
        .until(() -> Boolean.TRUE.equals(eval("location.href !== 'about:blank' && document.readyState === 'complete'")));
  }

  /** The value of a JavaScript expression (JSON-serialisable), evaluated in the page. */
  public Object eval(String expression) throws Exception {
    JsonObject result = command("Runtime.evaluate", new JsonObject().put("expression", expression)
        .put("returnByValue", true).put("awaitPromise", true));
    if (result.containsKey("exceptionDetails")) {
      throw new IllegalStateException("evaluating " + expression + ": " + result.getJsonObject("exceptionDetails").encode());
    }
    return result.getJsonObject("result").getValue("value");
  }

  public String text(String expression) throws Exception {
    Object value = eval(expression);
    return value == null ? null : value.toString();
  }

  public String html() throws Exception {
    return text("document.documentElement.outerHTML");
  }

  /** What shows where the page paints nothing: alpha 0 makes a screenshot's unpainted pixels transparent. */
  public void backdrop(int r, int g, int b, double alpha) throws Exception {
    command("Emulation.setDefaultBackgroundColorOverride", new JsonObject().put("color",
        new JsonObject().put("r", r).put("g", g).put("b", b).put("a", alpha)));
  }

  /** A PNG of the viewport. */
  public byte[] screenshot() throws Exception {
    String data = command("Page.captureScreenshot", new JsonObject().put("format", "png")).getString("data");
    return Base64.getDecoder().decode(data);
  }

  @Override
  public void close() {
    socket.abort();
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    deleteQuietly(profile);
  }

  /** Best effort: what a lingering helper process still holds is left to the OS's temp clean-up. */
  private static void deleteQuietly(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // left behind
    }
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        JsonObject message = new JsonObject(partial.toString());
        partial.setLength(0);
        onMessage(message);
      }
      webSocket.request(1);
      return null;
    }

    private void onMessage(JsonObject message) {
      Integer id = message.getInteger("id");
      if (id != null) {
        CompletableFuture<JsonObject> reply = pending.remove(id);
        if (reply != null) {
          reply.complete(message);
        }
        return;
      }
      String method = message.getString("method", "");
      JsonObject params = message.getJsonObject("params", new JsonObject());
      switch (method) {
        case "Runtime.consoleAPICalled" -> log.add("console." + params.getString("type") + ": "
            + params.getJsonArray("args", new JsonArray()).encode());
        case "Runtime.exceptionThrown" -> log.add("exception: " + params.getJsonObject("exceptionDetails").encode());
        case "Log.entryAdded" -> log.add("log " + params.getJsonObject("entry").getString("level") + ": "
            + params.getJsonObject("entry").getString("text"));
        default -> { }
      }
    }
  }
}
