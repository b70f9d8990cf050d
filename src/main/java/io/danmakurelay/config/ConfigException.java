package io.danmakurelay.config;

/** A configuration problem, with a one-line message that names the key and what is wrong. */
public final class ConfigException extends RuntimeException {

  public ConfigException(String message) {
    super(message);
  }
}
