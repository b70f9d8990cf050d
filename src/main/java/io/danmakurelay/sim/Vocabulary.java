package io.danmakurelay.sim;

import java.util.List;
import java.util.SplittableRandom;

/**
 * What simulated viewers say and are called. Mostly ordinary chat, but some of the time the content
 * a relay must carry as opaque data: CJK, emoji (surrogate pairs, ZWJ sequences), characters JSON
 * escapes as {@code \\uXXXX}, slashes, quotes, newlines, regex and HTML metacharacters.
 */
final class Vocabulary {

  static final List<String> ORDINARY = List.of(
      "666", "哈哈哈哈哈", "主播好！", "awsl", "？？？", "草", "前方高能", "2333", "好耶", "来了来了",
      "主播晚上好", "这波操作可以", "下次一定", "爷青回", "破防了", "泪目", "nb", "gg", "hello", "确实",
      "打卡", "第一次来", "唱得真好听", "关注了", "冲冲冲", "太强了", "笑死", "懂了", "这是什么歌", "晚安");

  static final List<String> TRICKY = List.of(
      "😂😂😂",
      "🎉 恭喜恭喜 🎉",
      "👨‍👩‍👧 family emoji",
      "𠮷野家 (supplementary CJK)",
      "晚上好 (｡･ω･｡)ﾉ♡",
      "Привет / こんにちは / 안녕하세요",
      "<img src=x onerror=alert(1)>",
      "<script>alert('xss')</script>",
      "</div><b>bold?</b>",
      "&amp; &lt; &#x27; &",
      "\"double quoted\" and 'single'",
      "a/b/c and http://live.bilibili.com/",
      "back\\slash \\n is not a newline",
      "line one\nline two",
      "tab\tseparated\tcells",
      "\\u4f60\\u597d written out",
      "regex .*+?^$[]{}()| \\d+",
      "$1 $& $$ \\1 replacement tokens",
      "%s %d {} {0} format tokens",
      "null",
      "{\"looks\":\"like json\"}",
      "line\u2028separator and \u2029paragraph",
      "zero\u200Bwidth\uFEFFspace",
      "control\u0001\u001Fchars",
      "del\u007F and nbsp\u00A0",
      "   padded   ");

  private static final List<String> NICK_STEMS = List.of(
      "路人甲", "小明同学", "bili_", "夜猫子", "咸鱼", "momo", "Neko", "🐱猫猫", "<b>bold</b>",
      "Nick\"Quote", "a/b", "阿伟", "User", "不吃香菜", "ゆき", "sleepy_");

  private Vocabulary() {}

  /** A message text: ordinary chat most of the time, tricky content with probability {@code trickyShare}. */
  static String text(SplittableRandom rng, double trickyShare) {
    if (rng.nextDouble() < trickyShare) {
      return TRICKY.get(rng.nextInt(TRICKY.size()));
    }
    String base = ORDINARY.get(rng.nextInt(ORDINARY.size()));
    int shape = rng.nextInt(10);
    if (shape < 6) {
      return base;
    }
    if (shape < 9) {
      return base + " " + rng.nextInt(1000);
    }
    return base + ORDINARY.get(rng.nextInt(ORDINARY.size()));
  }

  static String nickname(SplittableRandom rng, long uid) {
    String stem = NICK_STEMS.get(rng.nextInt(NICK_STEMS.size()));
    return rng.nextBoolean() ? stem + (uid % 10_000) : stem;
  }
}
