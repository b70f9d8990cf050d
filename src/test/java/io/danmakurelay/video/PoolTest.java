package io.danmakurelay.video;

import static io.danmakurelay.video.Fixtures.bytes;
import static io.danmakurelay.video.Fixtures.d;
import static io.danmakurelay.video.Fixtures.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class PoolTest {

  static byte[] deflate(byte[] data, boolean raw) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (DeflaterOutputStream z = new DeflaterOutputStream(out, new Deflater(Deflater.DEFAULT_COMPRESSION, raw))) {
      z.write(data);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return out.toByteArray();
  }

  static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(out)) {
      z.write(data);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return out.toByteArray();
  }

  @Nested
  class Decoding {
    final byte[] xml = bytes(pool(1, 10, d("1", "a"), d("2", "b")));

    @Test
    @DisplayName("raw deflate (as comment.bilibili.com sends it, Content-Encoding deflate) is inflated")
    void rawDeflate() throws Exception {
      PoolDecoder.Decoded decoded = PoolDecoder.decode("deflate", deflate(xml, true), 1 << 20);
      assertThat(decoded.encoding()).isEqualTo(PoolDecoder.Encoding.RAW_DEFLATE);
      assertThat(decoded.xml()).isEqualTo(xml);
      assertThat(PoolDecoder.decode(null, deflate(xml, true), 1 << 20).xml()).isEqualTo(xml);
    }

    @Test
    @DisplayName("zlib, gzip and plain bodies are recognised by their bytes whatever the header says")
    void others() throws Exception {
      assertThat(PoolDecoder.decode("deflate", deflate(xml, false), 1 << 20).encoding()).isEqualTo(PoolDecoder.Encoding.ZLIB);
      assertThat(PoolDecoder.decode(null, gzip(xml), 1 << 20).xml()).isEqualTo(xml);
      assertThat(PoolDecoder.decode("deflate", gzip(xml), 1 << 20).encoding()).isEqualTo(PoolDecoder.Encoding.GZIP);
      assertThat(PoolDecoder.decode("gzip", xml, 1 << 20).encoding()).isEqualTo(PoolDecoder.Encoding.PLAIN);
      assertThat(PoolDecoder.decode(null, xml, 1 << 20).xml()).isEqualTo(xml);
    }

    @Test
    @DisplayName("a truncated deflate stream, garbage and an empty body are refused with a reason")
    void broken() {
      byte[] whole = deflate(xml, true);
      assertThatThrownBy(() -> PoolDecoder.decode("deflate", Arrays.copyOf(whole, whole.length / 2), 1 << 20))
          .isInstanceOf(PoolFormatException.class).hasMessageContaining("truncated raw deflate");
      byte[] gz = gzip(xml);
      assertThatThrownBy(() -> PoolDecoder.decode(null, Arrays.copyOf(gz, gz.length - 10), 1 << 20))
          .isInstanceOf(PoolFormatException.class).hasMessageContaining("gzip");
      assertThatThrownBy(() -> PoolDecoder.decode(null, new byte[] {(byte) 0xff, (byte) 0xfe, 7, 7}, 1 << 20))
          .isInstanceOf(PoolFormatException.class);
      assertThatThrownBy(() -> PoolDecoder.decode(null, new byte[0], 1 << 20))
          .isInstanceOf(PoolFormatException.class).hasMessage("empty pool body");
    }

    @Test
    @DisplayName("a bomb (a small body inflating past the bound) is refused without inflating it all")
    void bomb() {
      byte[] zeros = new byte[64 << 20];
      byte[] bomb = deflate(zeros, true);
      assertThat(bomb.length).isLessThan(1 << 20);
      assertThatThrownBy(() -> PoolDecoder.decode("deflate", bomb, 8 << 20))
          .isInstanceOf(PoolFormatException.class).hasMessageContaining("refused");
      assertThatThrownBy(() -> PoolDecoder.decode(null, new byte[100], 10)).isInstanceOf(PoolFormatException.class);
    }
  }

  @Nested
  class Parsing {

    @Test
    @DisplayName("chatid, maxlimit and every field of each d are read; text is unescaped user content")
    void fields() throws Exception {
      String text = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; \"q\" $1 .* 😀 中文 \\u4f60";
      Pool pool = PoolParser.parse(bytes(pool(19147671, 3000,
          "<d p=\"12.34500,5,18,16711680,1500000001,1,d2c8f1a3,3476543210,10\">" + text + "</d>")));
      assertThat(pool.chatId()).isEqualTo(19147671);
      assertThat(pool.maxLimit()).isEqualTo(3000);
      assertThat(pool.badItems()).isZero();
      assertThat(pool.danmaku()).containsExactly(new PoolDanmaku("3476543210", 12345, 5, 18, 16711680, 1500000001, 1,
          "d2c8f1a3", "<script>alert(1)</script> & \"q\" $1 .* 😀 中文 \\u4f60",
          "12.34500,5,18,16711680,1500000001,1,d2c8f1a3,3476543210,10"));
    }

    @Test
    @DisplayName("an item with a bad p field is counted and skipped, the rest of the pool is kept")
    void badItems() throws Exception {
      Pool pool = PoolParser.parse(bytes(pool(1, 100,
          d("1", "ok"),
          "<d p=\"x,1,25,16777215,1500000000,0,abcdef12,2\">time</d>",
          "<d p=\"1.0,0,25,16777215,1500000000,0,abcdef12,3\">mode</d>",
          "<d p=\"1.0,1,big,16777215,1500000000,0,abcdef12,4\">size</d>",
          "<d p=\"1.0,1,25,-1,1500000000,0,abcdef12,5\">colour</d>",
          "<d p=\"1.0,1,25,16777215,yesterday,0,abcdef12,6\">ctime</d>",
          "<d p=\"1.0,1,25,16777215,1500000000,x,abcdef12,7\">pool</d>",
          "<d p=\"1.0,1,25,16777215,1500000000,0,,8\">hash</d>",
          "<d p=\"1.0,1,25,16777215,1500000000,0,abcdef12,dm9\">dmid</d>",
          "<d p=\"1.0,1,25\">short</d>",
          "<d>no p</d>",
          d("11", "ok too"))));
      assertThat(pool.danmaku()).extracting(PoolDanmaku::dmid).containsExactly("1", "11");
      assertThat(pool.badItems()).isEqualTo(10);
      assertThat(pool.firstBadReason()).contains("field 1");
    }

    @Test
    @DisplayName("a d with a child element is counted and skipped, the rest of the pool kept; CDATA, entities and "
        + "character references are its text")
    void markupInside() throws Exception {
      Pool pool = PoolParser.parse(bytes(pool(1, 100,
          d("1", "before"),
          d("2", "a<b>bold</b>c"),
          d("3", "<font color=\"red\"><i>nested</i></font>"),
          d("4", "x<![CDATA[<b>&amp;</b>]]>&#x4f60;&#22909;&lt;&gt;&quot;&apos;&amp;"),
          d("5", "one<!-- a comment -->two"),
          d("6", "<br/>"),
          d("7", ""),
          d("8", "after"))));
      assertThat(pool.danmaku()).extracting(PoolDanmaku::dmid).containsExactly("1", "4", "5", "7", "8");
      assertThat(pool.danmaku()).extracting(PoolDanmaku::text)
          .containsExactly("before", "x<b>&amp;</b>你好<>\"'&", "onetwo", "", "after");
      assertThat(pool.badItems()).isEqualTo(3);
      assertThat(pool.firstBadReason()).isEqualTo(PoolParser.MARKUP);
      // An undeclared entity is not well-formed XML: no conforming parser reads on past it.
      assertThatThrownBy(() -> PoolParser.parse(bytes(pool(1, 100, d("1", "a&nbsp;b"), d("2", "ok")))))
          .isInstanceOf(PoolFormatException.class).hasMessageContaining("nbsp");
    }

    @Test
    @DisplayName("a pool that declares another encoding (UTF-16, GBK, windows-1252, ISO-8859-1) is read in it")
    void declaredEncodings() throws Exception {
      for (String encoding : new String[] {"UTF-16", "GBK", "windows-1252", "ISO-8859-1"}) {
        String xml = "<?xml version=\"1.0\" encoding=\"" + encoding + "\"?>" + pool(1, 10, d("7", "caf\u00e9 &amp; x"))
            .substring("<?xml version=\"1.0\" encoding=\"UTF-8\"?>".length());
        Pool pool = PoolParser.parse(xml.getBytes(encoding));
        assertThat(pool.danmaku()).as(encoding).extracting(PoolDanmaku::text).containsExactly("caf\u00e9 & x");
      }
    }

    @Test
    @DisplayName("malformed XML, a DOCTYPE with entities and a wrong root fail the read with a reason")
    void malformed() {
      assertThatThrownBy(() -> PoolParser.parse(bytes("<i><chatid>1</chatid><d p=\"1\">x</i>")))
          .isInstanceOf(PoolFormatException.class).hasMessageStartingWith("malformed pool XML");
      String xxe = "<?xml version=\"1.0\"?><!DOCTYPE i [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><i>"
          + d("1", "&x;") + "</i>";
      assertThatThrownBy(() -> PoolParser.parse(bytes(xxe))).isInstanceOf(PoolFormatException.class);
      assertThatThrownBy(() -> PoolParser.parse(bytes("<html><d p=\"\">x</d></html>")))
          .isInstanceOf(PoolFormatException.class).hasMessageContaining("root");
      assertThatThrownBy(() -> PoolParser.parse(bytes("not xml at all"))).isInstanceOf(PoolFormatException.class);
    }

    @Test
    @DisplayName("a pool is full when it holds maxlimit items; an empty pool has no danmaku")
    void full() throws Exception {
      assertThat(PoolParser.parse(bytes(pool(1, 2, d("1", "a"), d("2", "b")))).full()).isTrue();
      assertThat(PoolParser.parse(bytes(pool(1, 3, d("1", "a"), d("2", "b")))).full()).isFalse();
      assertThat(PoolParser.parse(bytes("<i></i>")).danmaku()).isEmpty();
    }
  }

  @Nested
  class ForbiddenCharacters {

    @Test
    @DisplayName("a pool with characters XML 1.0 forbids in danmaku text (raw U+0008, &#8;, U+FFFF) is read whole: "
        + "each such character becomes U+FFFD and is counted, its danmaku and the rest of the pool kept")
    void replacedNotFatal() throws Exception {
      byte[] xml = bytes(pool(1, 100,
          d("1", "before"),
          d("2", "back\bspace"),
          d("3", "ref &#8; and &#x1f; and &#0;"),
          d("4", "nul\u0000 esc\u001B us\u001F vt\u000B ff\u000C"),
          d("5", "noncharacters \uFFFE\uFFFF"),
          d("6", "allowed &#9;&#x4f60;&#65533;&#x1F600; tab\tcr\rlf\n 中文 😀 ﾉ"),
          d("7", "after")));
      // Today's parser (any conforming one) refuses the document at the first of them.
      Pool pool = PoolParser.parse(xml);
      assertThat(pool.danmaku()).extracting(PoolDanmaku::dmid).containsExactly("1", "2", "3", "4", "5", "6", "7");
      assertThat(pool.danmaku()).extracting(PoolDanmaku::text).containsExactly("before", "back\uFFFDspace",
          "ref \uFFFD and \uFFFD and \uFFFD", "nul\uFFFD esc\uFFFD us\uFFFD vt\uFFFD ff\uFFFD",
          "noncharacters \uFFFD\uFFFD", "allowed \t你\uFFFD😀 tab\tcr\nlf\n 中文 😀 ﾉ", "after");
      assertThat(pool.replacedChars()).isEqualTo(11);
      assertThat(pool.badItems()).isZero();
    }

    @Test
    @DisplayName("inside a CDATA section a reference is text and stays; a raw forbidden character there is replaced")
    void cdata() throws Exception {
      Pool pool = PoolParser.parse(bytes(pool(1, 100, d("1", "<![CDATA[&#8; <b>\b]]>&#8;"), d("2", "ok"))));
      assertThat(pool.danmaku()).extracting(PoolDanmaku::text).containsExactly("&#8; <b>\uFFFD\uFFFD", "ok");
      assertThat(pool.replacedChars()).isEqualTo(2);
    }

    @Test
    @DisplayName("a forbidden character in p makes that item bad (counted, skipped); the rest of the pool is kept")
    void inTheAttribute() throws Exception {
      Pool pool = PoolParser.parse(bytes(pool(1, 100, d("1", "a"),
          "<d p=\"12.34500,1,25,16777215,1500000000,0,abc\bdef12,2\">b</d>", d("3", "c"))));
      assertThat(pool.danmaku()).extracting(PoolDanmaku::dmid).containsExactly("1", "3");
      assertThat(pool.badItems()).isEqualTo(1);
      assertThat(pool.replacedChars()).isEqualTo(1);
    }

    @Test
    @DisplayName("a pool without them is parsed from its own bytes (no copy), and one that is not UTF-8 is left to "
        + "the parser")
    void nothingToReplace() throws Exception {
      byte[] xml = bytes(pool(1, 100, d("1", "&amp;&#x4f60;&lt; 中文 😀 ﾉ！"), d("2", "<![CDATA[x]]>")));
      ForbiddenChars.Cleaned cleaned = ForbiddenChars.clean(xml);
      assertThat(cleaned.xml()).isSameAs(xml);
      assertThat(cleaned.replaced()).isZero();
      byte[] utf16 = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><i></i>".getBytes(java.nio.charset.StandardCharsets.UTF_16);
      assertThat(ForbiddenChars.clean(utf16).xml()).isSameAs(utf16);
      // Latin-1 declared: 0xEF 0xBF 0xBF are three letters there, not U+FFFF; a raw control is still forbidden.
      byte[] latin1 = ("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><i><d p=\"1\">\u00EF\u00BF\u00BF\b</d></i>")
          .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
      ForbiddenChars.Cleaned latin = ForbiddenChars.clean(latin1);
      assertThat(latin.replaced()).isEqualTo(1);
    }

    @Test
    @DisplayName("through the relay's pool entry: a raw-deflated pool with forbidden characters is an Ok answer")
    void throughThePoolAnswer() {
      byte[] xml = bytes(pool(1, 3, d("1", "a\bb"), d("2", "&#1;"), d("3", "c")));
      ApiAnswer<Pool> answer = VideoVerticle.poolAnswer(new VideoClient.Answer(200, "deflate", deflate(xml, true)));
      assertThat(answer).isInstanceOf(ApiAnswer.Ok.class);
      Pool pool = ((ApiAnswer.Ok<Pool>) answer).value();
      assertThat(pool.danmaku()).hasSize(3);
      assertThat(pool.replacedChars()).isEqualTo(2);
      assertThat(pool.full()).isTrue();
    }
  }
}
