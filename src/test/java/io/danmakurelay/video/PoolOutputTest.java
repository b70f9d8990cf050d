package io.danmakurelay.video;

import static io.danmakurelay.video.Fixtures.bytes;
import static io.danmakurelay.video.Fixtures.d;
import static io.danmakurelay.video.Fixtures.pool;
import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.config.ConfigLoader;
import io.danmakurelay.kafka.RecordFormat;
import io.danmakurelay.pipeline.BatchSink;
import io.danmakurelay.pipeline.Pipeline;
import io.danmakurelay.pipeline.SequencedBatch;
import io.danmakurelay.pipeline.SourceBatch;
import io.danmakurelay.pipeline.SourceItem;
import io.danmakurelay.pipeline.StreamKey;
import io.danmakurelay.sim.SimPools;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What a consumer sees of a part's reads, old code against new: every Kafka record (topic, key, headers, value bytes)
 * and the part's dedupe state, after the relay's pool path (decode, parse, dedupe, record values, pipeline, record
 * encoding) ran over a sequence of reads. The expected digests were computed by main's code at 3b1b97b, before the
 * pool path was made faster (JDK StAX, split-free field checks on Strings); a change to any byte fails here.
 */
class PoolOutputTest {

  static final long NOW = 1_764_388_801_234L;
  static final long START = 1_764_000_000_000L;

  final RecordFormat format = new RecordFormat(ConfigLoader.load(null, Map.of(), List.<String>of()).kafka());

  /** The digest of every record and state the relay writes for {@code reads} of part {@code cid}, in order. */
  String outputOf(long cid, List<byte[]> reads, boolean deflated) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    List<SequencedBatch> batches = new ArrayList<>();
    Pipeline pipeline = new Pipeline(new BatchSink() {
      @Override
      public void submit(SequencedBatch batch) {
        batches.add(batch);
      }

      @Override
      public boolean hasRoomFor(int messages) {
        return true;
      }
    });
    PartDeduper deduper = new PartDeduper(cid);
    int records = 0;
    for (byte[] xml : reads) {
      byte[] body = deflated ? SimPools.rawDeflated(xml) : xml;
      ApiAnswer<Pool> answer = VideoVerticle.poolAnswer(new VideoClient.Answer(200, deflated ? "deflate" : null, body));
      if (!(answer instanceof ApiAnswer.Ok<Pool> ok)) {
        // The outcome, not the parser's wording: that names the first fault in its own words.
        ApiAnswer.Failed<Pool> failed = (ApiAnswer.Failed<Pool>) answer;
        update(sha, "failed " + failed.outcome() + " " + failed.kind() + " " + failed.reason().startsWith(
            "malformed pool XML: "));
        continue;
      }
      Pool pool = ok.value();
      PartDeduper.Result result = deduper.accept(pool);
      update(sha, "pool " + pool.chatId() + " " + pool.maxLimit() + " " + pool.danmaku().size() + " "
          + pool.badItems() + " " + pool.firstBadReason() + " " + pool.replacedChars() + " " + result.duplicates()
          + " " + result.gap());
      List<SourceItem> items = VideoVerticle.items(cid, 170003, "BV17x411w7Kr", 1, result.fresh(), NOW);
      JsonObject state = new JsonObject().put("cid", cid).put("dedupe", deduper.snapshot());
      batches.clear();
      pipeline.publish(new SourceBatch(StreamKey.videoPart(cid), "video-pool", items, state));
      for (SequencedBatch batch : batches) {
        for (ProducerRecord<String, byte[]> r : format.records(batch)) {
          records++;
          update(sha, r.topic() + "\u0000" + r.key() + "\u0000" + r.partition());
          for (Header h : r.headers()) {
            update(sha, h.key());
            update(sha, h.value());
          }
          update(sha, r.value());
        }
      }
    }
    return records + " " + HexFormat.of().formatHex(sha.digest());
  }

  private static void update(MessageDigest sha, String s) {
    update(sha, s.getBytes(StandardCharsets.UTF_8));
  }

  private static void update(MessageDigest sha, byte[] b) {
    if (b == null) {
      sha.update((byte) 0xff);
      return;
    }
    sha.update(HexFormat.of().formatHex(new byte[] {(byte) (b.length >> 24), (byte) (b.length >> 16),
        (byte) (b.length >> 8), (byte) b.length}).getBytes(StandardCharsets.US_ASCII));
    sha.update(b);
  }

  static byte[] sim(long cid, long afterMs, boolean wrongTypes, boolean forbiddenChars) {
    return SimPools.pool(1, START, cid, afterMs, wrongTypes, forbiddenChars);
  }

  static String p(String time, String rest) {
    return "<d p=\"" + time + "," + rest + "\">";
  }

  /** Items that probe each field's checks, the text's escapes and the shapes of a {@code <d>}. */
  static final String EDGES = pool(19147671, 3000,
      d("100", "plain"),
      p("0.00000", "1,25,16777215,1500000000,0,abcdef12,101") + "zero</d>",
      p("1.0005", "1,25,16777215,1500000000,0,abcdef12,102") + "half up</d>",
      p("1.00049", "1,25,16777215,1500000000,0,abcdef12,103") + "down</d>",
      p("0.9995", "1,25,16777215,1500000000,0,abcdef12,104") + "carry</d>",
      p("123", "1,25,16777215,1500000000,0,abcdef12,105") + "no dot</d>",
      p("1234567890123456.75", "1,25,16777215,1500000000,0,abcdef12,106") + "long whole</d>",
      p("7.5", "9,1000,0,99999999999,99,ABCdef0123456789abcdef0123456789,107") + "limits</d>",
      p("7.5", "1,1,16777215,0,0,a,108,extra,fields,0") + "more fields</d>",
      p("7.5", "1,25,16777215,1500000000,0,中文,109") + "letters of any script in the hash</d>",
      p("7.5", "1,25,16777215,1500000000,0,abcdef12,12345678901234567890") + "twenty digits</d>",
      p("7.5", "1,25,16777215,1500000000,0,abcdef12,110") + "&lt;script&gt;alert(1)&lt;/script&gt; &amp; \"q\" "
          + "'a' \\ / \\u4f60 $1 .* 😀 中文 ﾉ！ tab\tnl\ncrlf\r\nend</d>",
      p("7.5", "1,25,16777215,1500000000,0,abcdef12,111") + "x<![CDATA[<b>&amp;</b>]]>&#x4f60;&#22909;&#x1F600;"
          + "&lt;&gt;&quot;&apos;&amp;</d>",
      p("7.5", "1,25,16777215,1500000000,0,abcdef12,112") + "one<!-- a comment -->two<?pi x?>three</d>",
      p("7.5", "1,25,16777215,1500000000,0,abcdef12,113") + "</d>",
      "<d p=\"7.5,1,25,16777215,1500000000,0,abcdef12,114\"/>",
      "<d mode=\"x\" p=\"7.5,1,25,16777215,1500000000,0,abcdef12,115\" other=\"y\">attributes</d>",
      "<d p='7.5,1,25,16777215,1500000000,0,abcdef12,116'>single quotes</d>",
      "<d p=\"7.5,1,25,16777215,1500000000,0,abcdef12,&#49;17\">reference in p</d>",
      d("100", "a repeat within the read"),
      d("0117", "leading zero"),
      p("x", "1,25,16777215,1500000000,0,abcdef12,200") + "time</d>",
      p(".5", "1,25,16777215,1500000000,0,abcdef12,201") + "time</d>",
      p("5.", "1,25,16777215,1500000000,0,abcdef12,202") + "time</d>",
      p("1.2.3", "1,25,16777215,1500000000,0,abcdef12,203") + "time</d>",
      p(" 1", "1,25,16777215,1500000000,0,abcdef12,204") + "time</d>",
      p("", "1,25,16777215,1500000000,0,abcdef12,205") + "time</d>",
      p("123456789012345678901", "1,25,16777215,1500000000,0,abcdef12,206") + "time</d>",
      p("1.0", "0,25,16777215,1500000000,0,abcdef12,207") + "mode</d>",
      p("1.0", "10,25,16777215,1500000000,0,abcdef12,208") + "mode</d>",
      p("1.0", "-1,25,16777215,1500000000,0,abcdef12,209") + "mode</d>",
      p("1.0", "1,0,16777215,1500000000,0,abcdef12,210") + "size</d>",
      p("1.0", "1,1001,16777215,1500000000,0,abcdef12,211") + "size</d>",
      p("1.0", "1,25,16777216,1500000000,0,abcdef12,212") + "colour</d>",
      p("1.0", "1,25,1.5,1500000000,0,abcdef12,213") + "colour</d>",
      p("1.0", "1,25,16777215,100000000000,0,abcdef12,214") + "ctime</d>",
      p("1.0", "1,25,16777215,,0,abcdef12,215") + "ctime</d>",
      p("1.0", "1,25,16777215,1500000000,100,abcdef12,216") + "pool</d>",
      p("1.0", "1,25,16777215,1500000000,0,,217") + "hash</d>",
      p("1.0", "1,25,16777215,1500000000,0,abcdef0123456789abcdef0123456789a,218") + "hash</d>",
      p("1.0", "1,25,16777215,1500000000,0,abc-ef12,219") + "hash</d>",
      p("1.0", "1,25,16777215,1500000000,0,abcdef12,") + "dmid</d>",
      p("1.0", "1,25,16777215,1500000000,0,abcdef12,123456789012345678901") + "dmid</d>",
      p("1.0", "1,25,16777215,1500000000,0,abcdef12,22x") + "dmid</d>",
      p("1.0", "1,25,16777215,1500000000,0,abcdef12") + "seven fields</d>",
      "<d>no p</d>",
      d("300", "a<b>bold</b>c"),
      d("301", "<br/>"),
      "<x><d p=\"7.5,1,25,16777215,1500000000,0,abcdef12,302\">deeper than a pool's d</d></x>",
      d("303", "last"));

  @Test
  @DisplayName("the simulator's 8,000-danmaku pool read three times (all new, all repeated, partly new): the same "
      + "records and state as main's code")
  void simulatorPool() throws Exception {
    assertThat(outputOf(1700031, List.of(sim(1700031, 60_000, false, false), sim(1700031, 60_000, false, false),
        sim(1700031, 300_000, false, false)), true))
        .isEqualTo("12803 a947a57bf415297fbcf64b53a92a9c083eb6690d3b68358caaa0b3b05c063a16");
  }

  @Test
  @DisplayName("the simulator's pools with wrong types in p and with characters XML 1.0 forbids: the same records, "
      + "counts and state as main's code")
  void simulatorFaults() throws Exception {
    assertThat(outputOf(1700011, List.of(sim(1700011, 30_000, true, false), sim(1700011, 90_000, false, true),
        sim(1700011, 300_000, true, true)), true))
        .isEqualTo("1223 facaed405e59d50a8373e28f2705feb528beb988ac7b1c0ea4afdb5cb6640b7d");
  }

  @Test
  @DisplayName("edge cases of p, of the text and of a d's shape, then malformed pools: the same records, counts, "
      + "outcomes and state as main's code")
  void edges() throws Exception {
    List<byte[]> reads = List.of(
        bytes(EDGES),
        bytes(pool(1, 100, d("1", "back\bspace"), d("2", "ref &#8; and &#x1f; and &#0;"), d("3", "noncharacters "
            + "\uFFFE\uFFFF"), d("4", "<![CDATA[&#8; <b>\b]]>&#8;"), "<d p=\"1.5,1,25,16777215,1500000000,0,ab\bc,5\">"
            + "in p</d>", d("6", "after"))),
        bytes(EDGES.replace("</i>", d("400", "one more") + "</i>")),
        bytes("<i><chatid>1</chatid><d p=\"1\">x</i>"),
        bytes("<?xml version=\"1.0\"?><!DOCTYPE i [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><i>" + d("1", "&x;")
            + "</i>"),
        bytes("<html><d p=\"\">x</d></html>"),
        bytes("not xml at all"),
        bytes(pool(1, 100, d("1", "a&nbsp;b"))),
        bytes("<i><chatid>x</chatid><maxlimit>-5</maxlimit>" + d("500", "odd head") + "</i>"),
        bytes("<i/>"));
    assertThat(List.of(outputOf(19147671, reads, false), outputOf(19147671, reads, true))).containsExactly(
        "33 7344b0aec8421c1200891f541b7f1174ec406c003af1768662bc74d72f4dd759",
        "33 6a4aa2d49d4ad13800f8cd277a6e1547e83c221c04e66c851e8328ff3fc79f5a");
  }
}
