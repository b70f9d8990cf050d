package io.danmakurelay;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import java.net.URL;
import org.slf4j.LoggerFactory;

/** Applies {@code log.format}: readable text by default, JSON lines (one object per event) on request. */
final class Logging {

  private Logging() {}

  static void configure(String format) {
    if (!"json".equals(format)) {
      return;
    }
    System.setProperty("LOG_APPENDER", "JSON");
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      URL config = Logging.class.getClassLoader().getResource("logback.xml");
      context.reset();
      JoranConfigurator configurator = new JoranConfigurator();
      configurator.setContext(context);
      try {
        configurator.doConfigure(config);
      } catch (JoranException e) {
        throw new IllegalStateException("cannot switch logging to JSON", e);
      }
    }
  }
}
