package io.danmakurelay.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;

/**
 * A PNG of a running relay's page in real time (not a virtual-time budget, which moves the page's clock), taken
 * once a JavaScript condition holds:
 * {@code java -cp ... io.danmakurelay.testsupport.PageScreenshot URL PNG [WIDTH HEIGHT [CONDITION]]}.
 */
public final class PageScreenshot {
  private PageScreenshot() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: PageScreenshot URL PNG [WIDTH HEIGHT [JS-CONDITION]]");
      System.exit(2);
    }
    int width = args.length > 2 ? Integer.parseInt(args[2]) : 1400;
    int height = args.length > 3 ? Integer.parseInt(args[3]) : 900;
    String condition = args.length > 4 ? args[4] : "document.readyState === 'complete'";
    try (Chromium browser = Chromium.start(width, height)) {
      long started = System.nanoTime();
      browser.open(args[0]);
      Awaitility.await(condition).atMost(Duration.ofSeconds(120)).ignoreExceptions()
          .until(() -> Boolean.TRUE.equals(browser.eval(condition)));
      System.out.printf("condition met %d ms after the page was asked for%n", (System.nanoTime() - started) / 1_000_000);
      Files.write(Path.of(args[1]), browser.screenshot());
      browser.log.forEach(entry -> System.err.println("page: " + entry));
    }
  }
}
