package io.danmakurelay.fanout;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("ClientRequest.parse")
class ClientRequestTest {

  @Test
  @DisplayName("reads a subscribe with rooms as numbers or digit strings and resume points")
  void subscribe() {
    ClientRequest request = ClientRequest.parse(
        "{\"op\":\"subscribe\",\"rooms\":[21452505,\"7734200\",21452505],\"since\":{\"21452505\":42}}", 10);
    assertThat(request).isEqualTo(new ClientRequest.Subscribe(Set.of(21452505L, 7734200L), Map.of(21452505L, 42L), false));
  }

  @Test
  @DisplayName("reads events:true as a wish for the rooms' events")
  void events() {
    assertThat(ClientRequest.parse("{\"op\":\"subscribe\",\"rooms\":[1],\"events\":true}", 10))
        .isEqualTo(new ClientRequest.Subscribe(Set.of(1L), Map.of(), true));
  }

  @Test
  @DisplayName("reads unsubscribe and ping")
  void others() {
    assertThat(ClientRequest.parse("{\"op\":\"unsubscribe\",\"rooms\":[1]}", 10))
        .isEqualTo(new ClientRequest.Unsubscribe(Set.of(1L)));
    assertThat(ClientRequest.parse("{\"op\":\"ping\"}", 10)).isInstanceOf(ClientRequest.Ping.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", "{", "null", "42", "\"op\"", "[]", "{\"op\":1}", "{\"op\":\"<script>\"}",
      "{\"op\":\"subscribe\"}", "{\"op\":\"subscribe\",\"rooms\":[]}", "{\"op\":\"subscribe\",\"rooms\":[0]}",
      "{\"op\":\"subscribe\",\"rooms\":[1e3]}", "{\"op\":\"subscribe\",\"rooms\":[99999999999999999999]}",
      "{\"op\":\"subscribe\",\"rooms\":[\"-1\"]}", "{\"op\":\"subscribe\",\"rooms\":[\"1 \"]}",
      "{\"op\":\"subscribe\",\"rooms\":[null]}", "{\"op\":\"subscribe\",\"rooms\":[1,2,3,4]}",
      "{\"op\":\"subscribe\",\"rooms\":[1],\"since\":[1]}", "{\"op\":\"subscribe\",\"rooms\":[1],\"since\":{\"2\":1}}",
      "{\"op\":\"subscribe\",\"rooms\":[1],\"events\":\"yes\"}", "{\"op\":\"subscribe\",\"rooms\":[1],\"events\":1}",
      "{\"op\":\"subscribe\",\"rooms\":[1],\"since\":{\"1\":-1}}", "{\"op\":\"subscribe\",\"rooms\":[1],\"since\":{\"1\":1.5}}"
  })
  @DisplayName("classifies malformed or invalid frames as Invalid with a message, never throwing")
  void invalid(String text) {
    ClientRequest request = ClientRequest.parse(text, 3);
    assertThat(request).isInstanceOf(ClientRequest.Invalid.class);
    assertThat(((ClientRequest.Invalid) request).error()).isNotBlank();
  }

  @Test
  @DisplayName("does not echo a long unknown op back in full")
  void abbreviates() {
    ClientRequest request = ClientRequest.parse("{\"op\":\"" + "a".repeat(5000) + "\"}", 3);
    assertThat(((ClientRequest.Invalid) request).error()).hasSizeLessThan(80);
  }
}
