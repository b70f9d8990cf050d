package io.danmakurelay.bench;

import io.danmakurelay.config.ConfigLoader;
import io.danmakurelay.config.RelayConfig;
import io.danmakurelay.kafka.RecordFormat;
import io.danmakurelay.pipeline.BatchSink;
import io.danmakurelay.pipeline.Pipeline;
import io.danmakurelay.pipeline.SequencedBatch;
import io.danmakurelay.pipeline.SourceBatch;
import io.danmakurelay.pipeline.SourceItem;
import io.danmakurelay.pipeline.StreamKey;
import io.danmakurelay.sim.Simulator;
import io.danmakurelay.sim.SimulatorSettings;
import io.danmakurelay.video.PartDeduper;
import io.danmakurelay.video.Pool;
import io.danmakurelay.video.ApiAnswer;
import io.danmakurelay.video.ForbiddenChars;
import io.danmakurelay.video.PoolDecoder;
import io.danmakurelay.video.PoolParser;
import io.danmakurelay.video.VideoClient;
import io.danmakurelay.video.VideoVerticle;
import io.vertx.core.json.JsonObject;
import io.vertx.core.Vertx;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamReader;

/**
 * The video pool benchmark (scripts/bench-video.sh): the simulator's 8,000-danmaku pool read over HTTP, then
 * the relay's path on the same bytes (inflate, StAX parse with every p field checked, dedupe, record values,
 * pipeline, the sink's record encoding) beside a bare StAX parse of the same XML, alternating in one run.
 */
public final class VideoBench {

  static final long CID = 1700031;

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    Vertx vertx = Vertx.vertx();
    Simulator sim = Simulator.start(vertx, SimulatorSettings.defaults(0, 1, 0, 1)).await(30, TimeUnit.SECONDS);
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    URI pool = URI.create("http://127.0.0.1:" + sim.port() + "/" + CID + ".xml");
    byte[] body = null;
    String encoding = null;
    long readNanos = 0;
    int reads = 20;
    for (int i = 0; i < reads; i++) {
      long t0 = System.nanoTime();
      HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(pool).build(), HttpResponse.BodyHandlers.ofByteArray());
      readNanos += System.nanoTime() - t0;
      body = r.body();
      encoding = r.headers().firstValue("Content-Encoding").orElse(null);
    }
    vertx.close().await(10, TimeUnit.SECONDS);
    byte[] xml = PoolDecoder.decode(encoding, body, 64 << 20).xml();
    int items = PoolParser.parse(xml).danmaku().size();

    RelayConfig config = ConfigLoader.load(null, Map.of(), List.of());
    RecordFormat format = new RecordFormat(config.kafka());
    long[] encodedBytes = {0};
    BatchSink sink = new BatchSink() {
      @Override
      public void submit(SequencedBatch batch) {
        format.records(batch).forEach(r -> encodedBytes[0] += r.value() == null ? 0 : r.value().length);
      }

      @Override
      public boolean hasRoomFor(int messages) {
        return true;
      }
    };
    Pipeline pipeline = new Pipeline(sink);
    // The JDK's built-in StAX (SJSXP) named explicitly: with Aalto on the class path, newFactory() would find it.
    XMLInputFactory factory = XMLInputFactory.newDefaultFactory();
    factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    factory.setProperty(XMLInputFactory.IS_COALESCING, true);
    // The StAX implementation the relay's PoolParser uses, configured alike.
    XMLInputFactory relayFactory = new com.fasterxml.aalto.stax.InputFactoryImpl();
    relayFactory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    relayFactory.setProperty(XMLInputFactory.IS_COALESCING, true);

    long bare = 0;
    long bareRelayParser = 0;
    long bareInflate = 0;
    long bareInflateRelayParser = 0;
    long relay = 0;
    long reread = 0;
    long scan = 0;
    long sink0 = 0;
    int warmup = Math.max(20, rounds / 5);
    long[] bareRounds = new long[rounds];
    long[] bareRelayParserRounds = new long[rounds];
    long[] bareInflateRelayParserRounds = new long[rounds];
    long[] bareInflateRounds = new long[rounds];
    long[] relayRounds = new long[rounds];
    for (int round = -warmup; round < rounds; round++) {
      long t0 = System.nanoTime();
      int n = bareParse(factory, xml);
      long t1 = System.nanoTime();
      int m = bareParse(factory, PoolDecoder.decode(encoding, body, 64 << 20).xml());
      long t2 = System.nanoTime();
      PartDeduper deduper = new PartDeduper(CID);
      publish(pipeline, deduper, encoding, body);
      long t3 = System.nanoTime();
      publish(pipeline, deduper, encoding, body);
      long t4 = System.nanoTime();
      // The relay's pass for characters XML 1.0 forbids, alone on the same XML: it runs only on a pool that failed to
      // parse (a conforming parser fails on any of them), so not in the reads above; timed for what such a pool adds.
      if (ForbiddenChars.clean(xml).replaced() != 0) {
        throw new IllegalStateException("the simulator's pool holds characters XML 1.0 forbids");
      }
      long t5 = System.nanoTime();
      int a = bareParse(relayFactory, xml);
      long t6 = System.nanoTime();
      int b = bareParse(relayFactory, PoolDecoder.decode(encoding, body, 64 << 20).xml());
      long t7 = System.nanoTime();
      if (n != items || m != items || a != items || b != items) {
        throw new IllegalStateException("bare parse saw " + n + " items, expected " + items);
      }
      if (round >= 0) {
        bareRounds[round] = t1 - t0;
        bareInflateRounds[round] = t2 - t1;
        relayRounds[round] = t3 - t2;
        bare += t1 - t0;
        bareInflate += t2 - t1;
        relay += t3 - t2;
        reread += t4 - t3;
        scan += t5 - t4;
        bareRelayParser += t6 - t5;
        bareInflateRelayParser += t7 - t6;
        bareRelayParserRounds[round] = t6 - t5;
        bareInflateRelayParserRounds[round] = t7 - t6;
      } else {
        sink0 = encodedBytes[0];
        java.util.Arrays.fill(PHASES, 0);
      }
    }
    double bareMs = bare / 1e6 / rounds;
    double bareInflateMs = bareInflate / 1e6 / rounds;
    double relayMs = relay / 1e6 / rounds;
    double bareRelayParserMs = bareRelayParser / 1e6 / rounds;
    double bareInflateRelayParserMs = bareInflateRelayParser / 1e6 / rounds;
    double rereadMs = reread / 1e6 / rounds;
    System.out.printf("pool: cid %d, %d danmaku, %d bytes %s (%d bytes of XML)%n", CID, items, body.length,
        encoding == null ? "plain" : encoding, xml.length);
    System.out.printf("HTTP read from the simulator (its XML building and deflate included): %.2f ms per pool (%d reads)%n",
        readNanos / 1e6 / reads, reads);
    System.out.printf("bare StAX parse of the XML (JDK's SJSXP):   %7.2f ms per pool, %,10.0f danmaku/s%n", bareMs,
        items / bareMs * 1000);
    System.out.printf("bare inflate + StAX parse (JDK's SJSXP):    %7.2f ms per pool, %,10.0f danmaku/s%n", bareInflateMs,
        items / bareInflateMs * 1000);
    System.out.printf("bare StAX parse of the XML (Aalto, the relay's parser): %7.2f ms per pool, %,10.0f danmaku/s%n",
        bareRelayParserMs, items / bareRelayParserMs * 1000);
    System.out.printf("bare inflate + StAX parse (Aalto):          %7.2f ms per pool, %,10.0f danmaku/s%n",
        bareInflateRelayParserMs, items / bareInflateRelayParserMs * 1000);
    System.out.printf("relay: inflate, parse, dedupe, publish (first read, all new): %7.2f ms per pool, %,10.0f danmaku/s"
        + "  = %.2fx the bare parse, %.2fx bare inflate+parse (JDK); %.2fx the bare parse, %.2fx bare inflate+parse "
        + "(Aalto)%n", relayMs, items / relayMs * 1000, relayMs / bareMs, relayMs / bareInflateMs,
        relayMs / bareRelayParserMs, relayMs / bareInflateRelayParserMs);
    double bareMedian = median(bareRounds);
    double bareInflateMedian = median(bareInflateRounds);
    double relayMedian = median(relayRounds);
    double bareRelayParserMedian = median(bareRelayParserRounds);
    double bareInflateRelayParserMedian = median(bareInflateRelayParserRounds);
    System.out.printf("medians (steadier on a loaded machine): bare parse %.2f ms, bare inflate + parse %.2f ms, relay %.2f ms"
        + " = %.2fx the bare parse, %.2fx bare inflate+parse%n", bareMedian, bareInflateMedian, relayMedian,
        relayMedian / bareMedian, relayMedian / bareInflateMedian);
    System.out.printf("medians against the relay's parser (Aalto): bare parse %.2f ms, bare inflate + parse %.2f ms, "
        + "relay %.2f ms = %.2fx the bare parse, %.2fx bare inflate+parse%n", bareRelayParserMedian,
        bareInflateRelayParserMedian, relayMedian, relayMedian / bareRelayParserMedian,
        relayMedian / bareInflateRelayParserMedian);
    System.out.printf("relay: the same pool again (all duplicates):                  %7.2f ms per pool%n", rereadMs);
    System.out.printf("the pass for characters XML 1.0 forbids (ForbiddenChars; only for a pool that failed to parse, "
        + "which is then parsed again): %.3f ms per pool (%.1f%% of the bare parse)%n", scan / 1e6 / rounds,
        100.0 * scan / bare);
    System.out.printf("relay phases over both reads, ms per pool: inflate and parse %.2f, dedupe %.2f, record values "
        + "%.2f, pipeline and record encoding %.2f%n", PHASES[1] / 1e6 / rounds, PHASES[2] / 1e6 / rounds,
        PHASES[3] / 1e6 / rounds, PHASES[4] / 1e6 / rounds);
    System.out.printf("(%d rounds after %d warm-up rounds; %,d record bytes encoded)%n", rounds, warmup,
        encodedBytes[0] - sink0);
    System.exit(0);
  }

  /**
   * Nanoseconds per phase of {@link #publish}: (unused), inflate and parse, dedupe, record values, pipeline and
   * the sink's record encoding.
   */
  static final long[] PHASES = new long[5];

  /**
   * What the relay does with one pool answer ({@code VideoVerticle.poolAnswer}, then the steps of its
   * {@code onPool}), up to the records the sink sends to Kafka.
   */
  static void publish(Pipeline pipeline, PartDeduper deduper, String encoding, byte[] body) throws Exception {
    long t0 = System.nanoTime();
    // The relay's own entry for a pool answer (VideoVerticle runs it off the event loop): inflate and parse.
    ApiAnswer<Pool> answer = VideoVerticle.poolAnswer(new VideoClient.Answer(200, encoding, body));
    if (!(answer instanceof ApiAnswer.Ok<Pool> ok)) {
      throw new IllegalStateException("the relay refused the pool: " + answer);
    }
    Pool pool = ok.value();
    long t2 = System.nanoTime();
    PartDeduper.Result result = deduper.accept(pool);
    long t3 = System.nanoTime();
    long now = System.currentTimeMillis();
    List<SourceItem> items = VideoVerticle.items(CID, 170003, "BV17x411w7Kr", 1, result.fresh(), now);
    long t4 = System.nanoTime();
    // The part's state as VideoVerticle writes it with each read: the dedupe snapshot and the counters.
    JsonObject state = new JsonObject().put("cid", CID).put("aid", 170003).put("dedupe", deduper.snapshot())
        .put("published", items.size()).put("gaps", 0)
        .put("history", new JsonObject().put("done_until", 0).put("dates_done", 0).put("complete", true));
    pipeline.publish(new SourceBatch(StreamKey.videoPart(CID), "video-pool", items, state));
    long t5 = System.nanoTime();
    PHASES[1] += t2 - t0;
    PHASES[2] += t3 - t2;
    PHASES[3] += t4 - t3;
    PHASES[4] += t5 - t4;
  }

  static double median(long[] nanos) {
    long[] sorted = nanos.clone();
    java.util.Arrays.sort(sorted);
    return sorted[sorted.length / 2] / 1e6;
  }

  /** A StAX pass that reads what a consumer must: each d's p attribute and text. */
  static int bareParse(XMLInputFactory factory, byte[] xml) throws Exception {
    return bareParse(factory.createXMLStreamReader(new ByteArrayInputStream(xml)));
  }

  static int bareParse(XMLStreamReader reader) throws Exception {
    int n = 0;
    long chars = 0;
    while (reader.hasNext()) {
      if (reader.next() == XMLStreamConstants.START_ELEMENT && "d".equals(reader.getLocalName())) {
        chars += reader.getAttributeValue(null, "p").length();
        chars += reader.getElementText().length();
        n++;
      }
    }
    reader.close();
    return chars > 0 ? n : -1;
  }
}
