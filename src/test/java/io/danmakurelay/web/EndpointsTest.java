package io.danmakurelay.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Endpoints (the relay's paths in one place)")
class EndpointsTest {

  @Test
  @DisplayName("webroot/endpoints.js, which the pages read their paths from, is exactly what Endpoints says")
  void pagesScriptMatchesTheConstants() throws IOException {
    try (InputStream in = getClass().getClassLoader().getResourceAsStream("webroot" + Endpoints.SCRIPT)) {
      assertThat(in).as("webroot%s on the class path", Endpoints.SCRIPT).isNotNull();
      assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(Endpoints.script());
    }
  }

  @Test
  @DisplayName("item paths are the collection's path and the id")
  void itemPaths() {
    assertThat(Endpoints.room(21452505)).isEqualTo("/api/rooms/21452505");
    assertThat(Endpoints.video("BV1xx411c7mD")).isEqualTo("/api/videos/BV1xx411c7mD");
    assertThat(Endpoints.ROOM).isEqualTo("/api/rooms/:id");
  }
}
