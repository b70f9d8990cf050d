package io.danmakurelay.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Expected values are the published example of bilibili-API-collect (docs/misc/sign/wbi.md). */
class WbiSignerTest {

  private static final String IMG_KEY = "7cd084941338484aae1ad9425b84077c";
  private static final String SUB_KEY = "4932caff0ff746eab6f01bf08b70ac45";

  @Test
  @DisplayName("The mixin key of the published keys is the published one")
  void mixinKey() {
    assertThat(WbiSigner.mixinKey(IMG_KEY, SUB_KEY)).isEqualTo("ea1db124af3c7062474693fa704f4ff8");
  }

  @Test
  @DisplayName("The published parameters at wts 1702204169 sign to w_rid 8f6f2b5b3d485fe1886cec6a0be8c5d4")
  void publishedExample() {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("foo", "114");
    params.put("bar", "514");
    params.put("zab", "1919810");
    String query = new WbiSigner(IMG_KEY, SUB_KEY).signedQuery(params, 1702204169L);
    assertThat(query).isEqualTo("bar=514&foo=114&wts=1702204169&zab=1919810&w_rid=8f6f2b5b3d485fe1886cec6a0be8c5d4");
  }

  @Test
  @DisplayName("Values are encoded with upper-case hex and %20 for spaces, as the published example shows")
  void encoding() {
    TreeMap<String, String> params = new TreeMap<>(Map.of("foo", "one one four", "bar", "五一四", "baz", "1919810"));
    assertThat(WbiSigner.canonicalQuery(params))
        .isEqualTo("bar=%E4%BA%94%E4%B8%80%E5%9B%9B&baz=1919810&foo=one%20one%20four");
  }

  @Test
  @DisplayName("The characters !'()* are dropped from values before signing")
  void dropped() {
    TreeMap<String, String> params = new TreeMap<>(Map.of("a", "x!'()*y"));
    assertThat(WbiSigner.canonicalQuery(params)).isEqualTo("a=xy");
  }

  @Test
  @DisplayName("verify accepts its own signature and refuses a wrong, missing or stale one")
  void verify() {
    WbiSigner signer = new WbiSigner(IMG_KEY, SUB_KEY);
    String query = signer.signedQuery(Map.of("id", "1000001", "type", "0", "web_location", "444.8"), 1764388800L);
    Map<String, String> received = new HashMap<>();
    for (String pair : query.split("&")) {
      String[] kv = pair.split("=", 2);
      received.put(kv[0], kv[1]);
    }
    assertThat(signer.verify(received)).isTrue();
    Map<String, String> tampered = new HashMap<>(received);
    tampered.put("id", "1000002");
    assertThat(signer.verify(tampered)).isFalse();
    Map<String, String> missing = new HashMap<>(received);
    missing.remove("w_rid");
    assertThat(signer.verify(missing)).isFalse();
    assertThat(new WbiSigner(SUB_KEY, IMG_KEY).verify(received)).isFalse();
  }

  @Test
  @DisplayName("A key is the 32-character file name of a wbi_img URL; anything else is no key")
  void keyOfUrl() {
    assertThat(WbiSigner.keyOfUrl("https://i0.hdslb.com/bfs/wbi/" + IMG_KEY + ".png")).contains(IMG_KEY);
    assertThat(WbiSigner.keyOfUrl("https://i0.hdslb.com/bfs/wbi/short.png")).isEmpty();
    assertThat(WbiSigner.keyOfUrl(null)).isEmpty();
    assertThatThrownBy(() -> WbiSigner.mixinKey("a", "b")).isInstanceOf(IllegalArgumentException.class);
  }
}
