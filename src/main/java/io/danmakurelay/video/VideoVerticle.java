package io.danmakurelay.video;

import io.danmakurelay.Addresses;
import io.danmakurelay.config.RelayConfig;
import io.danmakurelay.kafka.RelayState;
import io.danmakurelay.pipeline.FieldMap;
import io.danmakurelay.pipeline.Pipeline;
import io.danmakurelay.pipeline.RecordValues;
import io.danmakurelay.pipeline.SequencedBatch;
import io.danmakurelay.pipeline.SideRecord;
import io.danmakurelay.pipeline.SourceBatch;
import io.danmakurelay.pipeline.SourceItem;
import io.danmakurelay.pipeline.StateKeys;
import io.danmakurelay.pipeline.StreamKey;
import io.danmakurelay.poll.UpstreamGate;
import io.danmakurelay.upstream.FailureKind;
import io.danmakurelay.upstream.PollOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The video source (SPEC §1c): follows videos (config, {@code run --video}, {@code /api/videos} over the event
 * bus), resolves each to its aid and parts, writes its metadata record when it changed, reads each part's
 * history (with {@code video.history}) and then its pool again and again on the {@link ReadSchedule}, and
 * publishes each new danmaku once, with the part's {@link PartDeduper} state, through the {@link Pipeline}.
 * Every request takes a token from the shared {@link UpstreamGate} first. A thin shell: parsing, dedupe and
 * scheduling are the pure classes of this package.
 */
public final class VideoVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(VideoVerticle.class);
  /** Compressed pool bodies past this are refused (real pools are well under 1 MB deflated). */
  static final long MAX_POOL_BODY_BYTES = 8L << 20;
  /** A pool inflating past this is a bomb. */
  static final long MAX_POOL_XML_BYTES = 32L << 20;
  static final long MAX_JSON_BODY_BYTES = 4L << 20;
  static final int MAX_IN_FLIGHT = 4;
  /** How long past the request deadline stop() waits for pool reads in flight. */
  static final long STOP_GRACE_MS = 2000;
  static final long BUFFER_RECHECK_MS = 200;
  /** What a pool read may add at most, for the sink buffer check. */
  static final int MAX_NEW_PER_READ = 8000;
  static final List<String> ENDPOINTS = List.of("view", "episode", "pagelist", "archives", "recommend", "pool",
      "rolldate", "dmroll");
  static final List<String> OUTCOMES = List.of("ok", "http_error", "api_error", "timeout", "parse_error",
      "rate_limited", "not_found");

  private final RelayConfig config;
  private final RelayConfig.Video settings;
  private final Pipeline pipeline;
  private final RelayState restored;
  private final UpstreamGate gate;
  private final MeterRegistry registry;

  private VideoClient client;
  private final Map<String, Followed> videos = new LinkedHashMap<>();
  private final Map<Long, PartReader> parts = new LinkedHashMap<>();
  private final Map<Long, JsonObject> restoredParts = new HashMap<>();
  private final Map<Long, String> metaWritten = new HashMap<>();
  private final Map<Long, AtomicLong> committed = new ConcurrentHashMap<>();
  private int inFlight;
  /** Pool and dmroll reads sent and not yet handled (stop() waits for them). */
  private int poolReadsInFlight;
  private long pumpTimer = -1;
  private long pumpAtMs = Long.MAX_VALUE;
  private boolean stopping;

  private final Map<String, Counter> requests = new HashMap<>();
  private Counter published;
  private Counter gapsCounter;
  private Counter badItems;
  private Counter invalidChars;
  private Counter duplicates;
  private final Map<String, AtomicLong> byState = new HashMap<>();

  /** What resolving a video needs next. */
  enum Step { VIEW, EPISODE, PAGELIST, ARCHIVES, RECOMMEND, READY, INVALID }

  /** A video as the user named it and what resolving it found. */
  private final class Followed {
    final VideoId requested;
    Step step;
    long aid;
    String bvid;
    Episode episode;
    List<VideoPart> partList = List.of();
    VideoInfo info;
    /** What author_recommend last answered (none until it did). */
    List<Related> related = List.of();
    boolean resolvedOnce;
    boolean busy;
    long dueAtMs;
    int failures;
    String problem;

    Followed(VideoId requested, long now) {
      this.requested = requested;
      this.dueAtMs = now;
      switch (requested.kind()) {
        case AID -> {
          aid = requested.number();
          bvid = Bvid.fromAid(aid);
          step = Step.PAGELIST;
        }
        case BVID -> {
          bvid = requested.bvid();
          step = Step.VIEW;
        }
        case EPISODE -> step = Step.EPISODE;
      }
    }

    String state() {
      if (step == Step.INVALID) {
        return "invalid";
      }
      if (!resolvedOnce) {
        return failures > 0 ? "backoff" : "resolving";
      }
      return failures > 0 ? "backoff" : "reading";
    }
  }

  /** One part being read: its dedupe state, schedule and history progress. */
  private final class PartReader {
    final Followed video;
    VideoPart part;
    final PartDeduper deduper;
    final ReadSchedule schedule;
    boolean busy;
    int failures;
    String problem;
    boolean missing;
    /** History: the dates still to read (null until rolldate answered), and how far it got. */
    List<RollDate> dates;
    long historyDoneUntil;
    int historyDatesDone;
    boolean historyComplete;
    /** Danmaku published before this run (from the state), and handed to the pipeline in this run. */
    long publishedBefore;
    long handed;
    long gaps;
    long badItems;
    long invalidChars;
    int lastPoolSize;
    int maxLimit;

    PartReader(Followed video, VideoPart part, JsonObject state, long now) {
      this.video = video;
      this.part = part;
      JsonObject s = state == null ? new JsonObject() : state;
      this.deduper = PartDeduper.restore(part.cid(), s.getValue("dedupe") instanceof JsonObject d ? d : null);
      this.schedule = new ReadSchedule(settings.minIntervalMs(), settings.maxIntervalMs(), now);
      JsonObject history = s.getValue("history") instanceof JsonObject h ? h : new JsonObject();
      this.historyDoneUntil = history.getValue("done_until") instanceof Number n ? n.longValue() : 0;
      this.historyDatesDone = history.getValue("dates_done") instanceof Number n ? n.intValue() : 0;
      this.historyComplete = !settings.history() || Boolean.TRUE.equals(history.getValue("complete"))
          || (state != null && history.isEmpty() && deduper.rememberedIds() > 0);
      this.publishedBefore = s.getValue("published") instanceof Number n ? n.longValue() : 0;
      this.gaps = s.getValue("gaps") instanceof Number n ? n.longValue() : 0;
    }

    long publishedTotal() {
      return publishedBefore + committed.getOrDefault(part.cid(), new AtomicLong()).get();
    }

    boolean readingHistory() {
      return !historyComplete;
    }

    String state() {
      if (video.step == Step.INVALID) {
        return "invalid";
      }
      if (missing) {
        return "invalid";
      }
      if (failures > 0) {
        return "backoff";
      }
      return readingHistory() ? "history" : "reading";
    }

    /** The part's stream state, committed with its danmaku; {@code published} counts them durably. */
    JsonObject stateRecord() {
      long publishedNow = publishedBefore + handed;
      return new JsonObject()
          .put("cid", part.cid())
          .put("aid", video.aid)
          .put("dedupe", deduper.snapshot())
          .put("published", publishedNow)
          .put("gaps", gaps)
          .put("history", new JsonObject().put("done_until", historyDoneUntil).put("dates_done", historyDatesDone)
              .put("complete", historyComplete));
    }
  }

  public VideoVerticle(RelayConfig config, Pipeline pipeline, RelayState restored, UpstreamGate gate,
      MeterRegistry registry) {
    this.config = config;
    this.settings = config.video();
    this.pipeline = pipeline;
    this.restored = restored;
    this.gate = gate;
    this.registry = registry;
  }

  /** Called by the sink (on its thread) for each committed batch: counts the video danmaku that reached Kafka. */
  public void onCommitted(SequencedBatch batch) {
    if (batch.stream() != null && batch.stream().kind() == StreamKey.Kind.VIDEO_PART && batch.messages() > 0) {
      committed.computeIfAbsent(batch.stream().id(), id -> new AtomicLong()).addAndGet(batch.messages());
      if (published != null) {
        published.increment(batch.messages());
      }
    }
  }

  @Override
  public Future<?> start() {
    client = new VideoClient(vertx, config.upstream().headers(), config.upstream().timeoutMs(), MAX_IN_FLIGHT);
    registerMetrics();
    long now = System.currentTimeMillis();
    restored.streams().forEach((stream, state) -> {
      if (stream.kind() == StreamKey.Kind.VIDEO_PART) {
        restoredParts.put(stream.id(), state);
      }
    });
    restored.entries().forEach((key, value) -> {
      if (key.startsWith(StateKeys.VIDEO_META_WRITTEN) && value.getValue("fingerprint") instanceof String f) {
        long aid = StateKeys.idAfter(key, StateKeys.VIDEO_META_WRITTEN);
        if (aid > 0) {
          metaWritten.put(aid, f);
        }
      }
    });
    for (String id : config.videos()) {
      try {
        follow(VideoId.parse(id), now);
      } catch (IllegalArgumentException e) {
        log.warn("video {} in the config is not followed: {}", VideoApi.reason(id), e.getMessage());
      }
    }
    restored.entries().forEach((key, value) -> {
      if (key.startsWith(StateKeys.FOLLOWED_VIDEO)) {
        try {
          follow(VideoId.parse(key.substring(StateKeys.FOLLOWED_VIDEO.length())), now);
        } catch (IllegalArgumentException e) {
          log.warn("ignoring followed-video state entry {}: {}", VideoApi.reason(key), e.getMessage());
        }
      }
    });
    var bus = vertx.eventBus();
    vertx.setPeriodic(1000, id -> refreshGauges());
    return Future.all(
            bus.<JsonObject>consumer(Addresses.VIDEOS_LIST, msg -> msg.reply(list())).completion(),
            bus.<JsonObject>consumer(Addresses.VIDEOS_ADD, this::handleAdd).completion(),
            bus.<JsonObject>consumer(Addresses.VIDEOS_REMOVE, this::handleRemove).completion())
        .onSuccess(ok -> {
          log.info("following {} videos (history {}, pools read every {}..{} ms)", videos.size(),
              settings.history() ? "on" : "off", settings.minIntervalMs(), settings.maxIntervalMs());
          pump();
        });
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    if (pumpTimer >= 0) {
      vertx.cancelTimer(pumpTimer);
    }
    // A pool read in flight was served: the upstream's pool may push its oldest danmaku out before the next
    // incarnation reads again, so its answer is published (the sink drains after the verticles stop) rather than
    // dropped. No new request starts; a read that does not end within its deadline is given up.
    Promise<Void> drained = Promise.promise();
    long giveUpAt = System.currentTimeMillis() + config.upstream().timeoutMs() + STOP_GRACE_MS;
    awaitReads(drained, giveUpAt);
    return drained.future().compose(done -> client.close());
  }

  private void awaitReads(Promise<Void> drained, long giveUpAtMs) {
    if (poolReadsInFlight == 0) {
      drained.tryComplete();
    } else if (System.currentTimeMillis() >= giveUpAtMs) {
      log.warn("stopping with {} video pool reads unanswered; their danmaku are read again at the next start",
          poolReadsInFlight);
      drained.tryComplete();
    } else {
      vertx.setTimer(20, id -> awaitReads(drained, giveUpAtMs));
    }
  }

  private void registerMetrics() {
    for (String endpoint : ENDPOINTS) {
      for (String outcome : OUTCOMES) {
        requests.put(endpoint + "/" + outcome, Counter.builder("danmaku.video.requests")
            .tag("endpoint", endpoint).tag("outcome", outcome)
            .description("Requests to the video endpoints by endpoint and outcome").register(registry));
      }
    }
    published = Counter.builder("danmaku.video.danmaku.published")
        .description("Video danmaku committed to Kafka").register(registry);
    gapsCounter = Counter.builder("danmaku.video.gaps")
        .description("Re-reads of a full pool that shared nothing with the last read: danmaku were probably lost")
        .register(registry);
    badItems = Counter.builder("danmaku.video.bad.items")
        .description("Pool items skipped because a field of their p attribute was invalid").register(registry);
    invalidChars = Counter.builder("danmaku.video.invalid.chars")
        .description("Characters XML 1.0 forbids (control characters) found in pools and replaced by U+FFFD; their "
            + "danmaku are kept").register(registry);
    duplicates = Counter.builder("danmaku.video.duplicates.dropped")
        .description("Pool items already published from an earlier read").register(registry);
    for (String state : List.of("resolving", "reading", "backoff", "invalid")) {
      AtomicLong value = new AtomicLong();
      byState.put(state, value);
      Gauge.builder("danmaku.videos", value, AtomicLong::get).tag("state", state)
          .description("Followed videos by state").register(registry);
    }
  }

  private void refreshGauges() {
    Map<String, Long> counts = new HashMap<>();
    videos.values().forEach(v -> counts.merge(v.state(), 1L, Long::sum));
    byState.forEach((state, value) -> value.set(counts.getOrDefault(state, 0L)));
  }

  private void count(String endpoint, String outcome) {
    Counter c = requests.get(endpoint + "/" + outcome);
    if (c != null) {
      c.increment();
    }
  }

  // ---- following ----

  private Followed follow(VideoId id, long now) {
    Followed existing = find(id);
    if (existing != null) {
      return existing;
    }
    Followed video = new Followed(id, now);
    videos.put(id.canonical(), video);
    return video;
  }

  private Followed find(VideoId id) {
    Followed byName = videos.get(id.canonical());
    if (byName != null) {
      return byName;
    }
    for (Followed v : videos.values()) {
      if ((id.kind() == VideoId.Kind.AID && v.aid == id.number())
          || (id.kind() == VideoId.Kind.BVID && id.bvid().equals(v.bvid))
          || (id.kind() == VideoId.Kind.EPISODE && v.episode != null && v.episode.ep() == id.number())) {
        return v;
      }
    }
    return null;
  }

  private static VideoId idOf(Message<JsonObject> message) {
    try {
      return VideoId.parse(message.body().getValue("video"));
    } catch (IllegalArgumentException e) {
      message.fail(400, e.getMessage());
      return null;
    }
  }

  private void handleAdd(Message<JsonObject> message) {
    VideoId id = idOf(message);
    if (id == null) {
      return;
    }
    boolean known = find(id) != null;
    Followed video = follow(id, System.currentTimeMillis());
    if (!known) {
      pipeline.publish(SourceBatch.sideOnly(List.of(new SideRecord(SideRecord.Kind.STATE,
          StateKeys.followedVideo(id.canonical()),
          new JsonObject().put("video", id.canonical()).put("added_at", System.currentTimeMillis()), null))));
      log.info("video {} added", id);
      pump();
    }
    message.reply(entry(video, System.currentTimeMillis()).put("created", !known));
  }

  private void handleRemove(Message<JsonObject> message) {
    VideoId id = idOf(message);
    if (id == null) {
      return;
    }
    Followed video = find(id);
    if (video == null) {
      message.reply(new JsonObject().put("removed", false).put("video", id.canonical()));
      return;
    }
    videos.remove(video.requested.canonical());
    parts.values().removeIf(p -> {
      if (p.video == video) {
        // Added again later, the part continues from here rather than publishing its pool a second time.
        restoredParts.put(p.part.cid(), p.stateRecord());
        return true;
      }
      return false;
    });
    pipeline.publish(SourceBatch.sideOnly(List.of(new SideRecord(SideRecord.Kind.STATE,
        StateKeys.followedVideo(video.requested.canonical()), null, null))));
    log.info("video {} removed", video.requested);
    message.reply(new JsonObject().put("removed", true).put("video", video.requested.canonical()));
  }

  // ---- the loop ----

  /** Starts every due request within the budget, then sleeps until the next one is due. */
  private void pump() {
    if (stopping) {
      return;
    }
    while (inFlight < MAX_IN_FLIGHT) {
      long now = System.currentTimeMillis();
      Followed video = null;
      PartReader part = null;
      long due = Long.MAX_VALUE;
      for (Followed v : videos.values()) {
        if (!v.busy && v.step != Step.INVALID && v.dueAtMs < due) {
          due = v.dueAtMs;
          video = v;
        }
      }
      for (PartReader p : parts.values()) {
        if (!p.busy && !p.video.busy && p.video.step != Step.INVALID && p.schedule.nextReadAtMs() < due) {
          due = p.schedule.nextReadAtMs();
          part = p;
          video = null;
        }
      }
      if (video == null && part == null) {
        return;
      }
      if (due > now) {
        wakeAt(due);
        return;
      }
      if (part != null && !pipeline.hasRoomFor(MAX_NEW_PER_READ)) {
        wakeAt(now + BUFFER_RECHECK_MS);
        return;
      }
      if (!gate.tryAcquire(now)) {
        wakeAt(gate.nextTokenAtMs(now));
        return;
      }
      if (part != null) {
        read(part, now);
      } else {
        resolve(video, now);
      }
    }
  }

  private void wakeAt(long atMs) {
    long now = System.currentTimeMillis();
    long at = Math.max(atMs, now + 1);
    if (pumpTimer >= 0) {
      if (pumpAtMs <= at) {
        return;
      }
      vertx.cancelTimer(pumpTimer);
    }
    pumpAtMs = at;
    pumpTimer = vertx.setTimer(at - now, id -> {
      pumpTimer = -1;
      pumpAtMs = Long.MAX_VALUE;
      pump();
    });
  }

  private static String fill(String template, String name, Object value) {
    return template.replace("{" + name + "}", String.valueOf(value));
  }

  /** One JSON request: sends, counts the outcome, handles risk control, hands the typed answer on. */
  private <T> void json(String endpoint, String url, BiFunction<Integer, byte[], ApiAnswer<T>> parser, long sentAt,
      java.util.function.Consumer<ApiAnswer<T>> then) {
    inFlight++;
    client.get(url, MAX_JSON_BODY_BYTES).onComplete(done -> {
      inFlight--;
      gate.onExchangeEnded(System.currentTimeMillis());
      VideoClient.Raw raw = done.result();
      ApiAnswer<T> answer = raw instanceof VideoClient.Answer a ? parser.apply(a.status(), a.body())
          : new ApiAnswer.Failed<>(((VideoClient.NoAnswer) raw).outcome(), FailureKind.RETRY,
              ((VideoClient.NoAnswer) raw).reason());
      settle(endpoint, answer, sentAt);
      if (!stopping) {
        then.accept(answer);
      }
      pump();
    });
  }

  private void settle(String endpoint, ApiAnswer<?> answer, long sentAt) {
    long now = System.currentTimeMillis();
    count(endpoint, answer.outcomeLabel());
    if (answer instanceof ApiAnswer.Failed<?> f && f.kind() == FailureKind.RISK_CONTROL) {
      gate.onRiskControl(now, sentAt);
    } else if (answer instanceof ApiAnswer.Ok<?>) {
      gate.onSuccess(now);
    }
  }

  private long backoffMs(int failures) {
    long initial = config.backoff().initialMs();
    return Math.min(config.backoff().maxMs(), initial << Math.min(20, Math.max(0, failures - 1)));
  }

  // ---- resolving a video ----

  private void resolve(Followed v, long now) {
    v.busy = true;
    switch (v.step) {
      case VIEW -> json("view", fill(settings.viewUrl(), "bvid", v.bvid), (s, b) -> VideoApi.parseView(s, b), now,
          answer -> step(v, answer, aid -> {
            v.aid = aid;
            v.step = Step.PAGELIST;
          }));
      case EPISODE -> json("episode", fill(settings.episodeUrl(), "ep", v.requested.number()),
          (s, b) -> VideoApi.parseEpisode(s, b, v.requested.number()), now, answer -> step(v, answer, ep -> {
            v.episode = ep;
            v.aid = ep.aid();
            v.bvid = Bvid.fromAid(ep.aid());
            v.step = Step.PAGELIST;
          }));
      case PAGELIST, READY -> json("pagelist", fill(settings.pagelistUrl(), "aid", v.aid), VideoApi::parsePagelist, now,
          answer -> step(v, answer, list -> {
            v.partList = list;
            v.step = Step.ARCHIVES;
          }));
      case ARCHIVES -> json("archives", fill(settings.archivesUrl(), "aid", v.aid),
          (s, b) -> VideoApi.parseArchives(s, b, v.aid), now, answer -> step(v, answer, info -> {
            v.info = info;
            v.step = Step.RECOMMEND;
          }));
      case RECOMMEND -> json("recommend", fill(settings.recommendUrl(), "aid", v.aid), VideoApi::parseRecommend, now,
          answer -> {
            v.busy = false;
            if (answer instanceof ApiAnswer.Failed<?> f && f.kind() == FailureKind.RISK_CONTROL) {
              v.dueAtMs = System.currentTimeMillis();
              return;
            }
            // Related videos are a nicety: without them the metadata is still worth writing. A failed read keeps
            // what the last one said (the video did not change because author_recommend timed out), so the record
            // is not written again with no related videos, and again with them.
            if (answer instanceof ApiAnswer.Ok<List<Related>> ok) {
              v.related = ok.value();
            }
            resolved(v, v.related);
          });
      case INVALID -> v.busy = false;
    }
  }

  private <T> void step(Followed v, ApiAnswer<T> answer, java.util.function.Consumer<T> onOk) {
    v.busy = false;
    long now = System.currentTimeMillis();
    if (!videos.containsValue(v)) {
      return;
    }
    if (answer instanceof ApiAnswer.Ok<T> ok) {
      onOk.accept(ok.value());
      v.dueAtMs = now;
      if (v.step == Step.PAGELIST || v.step == Step.ARCHIVES) {
        Followed twin = twinOf(v);
        if (twin != null) {
          videos.remove(v.requested.canonical());
          log.info("video {} is av{}, already followed as {}", v.requested, v.aid, twin.requested);
        }
      }
    } else if (answer instanceof ApiAnswer.NotFound<T> notFound) {
      v.step = Step.INVALID;
      v.problem = "does not exist upstream: " + notFound.reason();
      parts.values().forEach(p -> {
        if (p.video == v) {
          p.problem = v.problem;
        }
      });
      log.warn("video {} does not exist upstream ({}); it will not be read", v.requested, notFound.reason());
    } else if (answer instanceof ApiAnswer.Failed<T> failed) {
      if (failed.kind() == FailureKind.RISK_CONTROL) {
        v.problem = failed.outcome().label() + ": " + failed.reason();
        v.dueAtMs = now;
        return;
      }
      v.failures++;
      v.problem = failed.outcome().label() + ": " + failed.reason();
      long delay = backoffMs(v.failures);
      v.dueAtMs = now + delay;
      if (v.failures == 1) {
        log.warn("resolving video {} failed ({}); retrying in {} ms", v.requested, v.problem, delay);
      }
    }
  }

  private Followed twinOf(Followed v) {
    for (Followed other : videos.values()) {
      if (other != v && other.aid == v.aid && other.aid > 0 && other.resolvedOnce) {
        return other;
      }
    }
    return null;
  }

  private void resolved(Followed v, List<Related> related) {
    long now = System.currentTimeMillis();
    if (!videos.containsValue(v)) {
      return;
    }
    v.failures = 0;
    v.problem = null;
    v.resolvedOnce = true;
    v.step = Step.READY;
    v.dueAtMs = now + settings.maxIntervalMs();
    JsonObject meta = VideoMeta.record(v.info, v.bvid, v.partList, v.episode, related, now);
    String fingerprint = VideoMeta.fingerprint(meta);
    if (!fingerprint.equals(metaWritten.get(v.aid))) {
      boolean first = !metaWritten.containsKey(v.aid);
      metaWritten.put(v.aid, fingerprint);
      pipeline.publish(SourceBatch.sideOnly(List.of(
          new SideRecord(SideRecord.Kind.VIDEO_META, VideoMeta.key(v.aid), meta, null),
          new SideRecord(SideRecord.Kind.STATE, StateKeys.VIDEO_META_WRITTEN + v.aid,
              new JsonObject().put("fingerprint", fingerprint).put("written_at", now), null))));
      if (first) {
        log.info("video {} (av{}): metadata written, {} parts", v.requested, v.aid, v.partList.size());
      } else {
        log.debug("video {} (av{}): metadata changed, written again", v.requested, v.aid);
      }
    }
    for (VideoPart p : v.partList) {
      PartReader reader = parts.get(p.cid());
      if (reader == null) {
        parts.put(p.cid(), new PartReader(v, p, restoredParts.remove(p.cid()), now));
      } else {
        reader.part = p;
      }
    }
  }

  // ---- reading a part ----

  private void read(PartReader p, long now) {
    p.busy = true;
    long cid = p.part.cid();
    if (p.readingHistory() && p.dates == null) {
      json("rolldate", fill(settings.rolldateUrl(), "cid", cid), VideoApi::parseRolldate, now, answer -> {
        p.busy = false;
        if (answer instanceof ApiAnswer.Ok<List<RollDate>> ok) {
          p.failures = 0;
          p.problem = null;
          p.dates = new ArrayList<>(ok.value().stream().filter(d -> d.timestamp() > p.historyDoneUntil).toList());
          log.info("video part {} (av{}): {} history dates to read", cid, p.video.aid, p.dates.size());
          if (p.dates.isEmpty()) {
            finishHistory(p);
          }
        } else if (answer instanceof ApiAnswer.NotFound<?> nf) {
          p.problem = "no history: " + nf.reason();
          finishHistory(p);
        } else {
          partFailure(p, (ApiAnswer.Failed<?>) answer);
        }
      });
      return;
    }
    boolean history = p.readingHistory();
    RollDate date = history ? p.dates.get(0) : null;
    String url = history
        ? fill(fill(settings.dmrollUrl(), "timestamp", date.timestamp()), "cid", cid)
        : fill(settings.commentUrl(), "cid", cid);
    String endpoint = history ? "dmroll" : "pool";
    inFlight++;
    poolReadsInFlight++;
    // Inflating and parsing a pool of thousands takes tens of milliseconds: off the event loop.
    client.get(url, MAX_POOL_BODY_BYTES)
        .andThen(exchange -> gate.onExchangeEnded(System.currentTimeMillis()))
        .compose(raw -> vertx.executeBlocking(() -> poolAnswer(raw), false))
        .onComplete(done -> {
          inFlight--;
          // stop() checks this from a timer on this same event loop: after this handler has published.
          poolReadsInFlight--;
          p.busy = false;
          ApiAnswer<Pool> answer = done.succeeded() ? done.result()
              : new ApiAnswer.Failed<>(PollOutcome.PARSE_ERROR, FailureKind.RETRY, "reading the pool failed: "
                  + VideoApi.reason(String.valueOf(done.cause())));
          settle(endpoint, answer, now);
          // Also while stopping: a served pool is published, not dropped (see stop()).
          if (parts.get(cid) == p) {
            if (answer instanceof ApiAnswer.Ok<Pool> ok) {
              onPool(p, ok.value(), date);
            } else if (answer instanceof ApiAnswer.NotFound<Pool> nf && history) {
              // A date whose snapshot is gone: nothing to read there.
              p.dates.remove(0);
              p.historyDoneUntil = date.timestamp();
              p.historyDatesDone++;
              if (p.dates.isEmpty()) {
                finishHistory(p);
              } else {
                publishState(p);
              }
            } else if (answer instanceof ApiAnswer.NotFound<Pool> nf) {
              p.missing = true;
              p.problem = "pool does not exist: " + nf.reason();
              p.schedule.onFailure(System.currentTimeMillis(), settings.maxIntervalMs());
              log.warn("video part {} (av{}): pool not found ({}); trying again in {} ms", cid, p.video.aid, nf.reason(),
                  settings.maxIntervalMs());
            } else {
              partFailure(p, (ApiAnswer.Failed<?>) answer);
            }
          }
          pump();
        });
  }

  /**
   * A pool answer to a parsed pool, or why not: JSON error bodies, bad compression, malformed XML. (Public for
   * the pool benchmark, which runs the relay's own path.)
   */
  public static ApiAnswer<Pool> poolAnswer(VideoClient.Raw raw) {
    if (raw instanceof VideoClient.NoAnswer none) {
      return new ApiAnswer.Failed<>(none.outcome(), FailureKind.RETRY, none.reason());
    }
    VideoClient.Answer a = (VideoClient.Answer) raw;
    byte[] body = a.body();
    boolean jsonBody = body.length > 0 && (body[0] == '{' || body[0] == '[');
    if (a.status() != 200 || jsonBody) {
      ApiAnswer<List<RollDate>> error = VideoApi.parseRolldate(a.status(), body);
      if (error instanceof ApiAnswer.NotFound<?> nf) {
        return new ApiAnswer.NotFound<>(nf.reason());
      }
      if (error instanceof ApiAnswer.Failed<?> f) {
        return new ApiAnswer.Failed<>(f.outcome(), f.kind(), f.reason());
      }
      return new ApiAnswer.Failed<>(PollOutcome.PARSE_ERROR, FailureKind.RETRY, "a JSON answer where a pool was expected");
    }
    try {
      byte[] xml = PoolDecoder.decode(a.contentEncoding(), body, MAX_POOL_XML_BYTES).xml();
      return new ApiAnswer.Ok<>(PoolParser.parse(xml));
    } catch (PoolFormatException e) {
      return new ApiAnswer.Failed<>(PollOutcome.PARSE_ERROR, FailureKind.RETRY, e.getMessage());
    }
  }

  private void onPool(PartReader p, Pool pool, RollDate date) {
    long now = System.currentTimeMillis();
    long cid = p.part.cid();
    PartDeduper.Result result = p.deduper.accept(pool);
    p.failures = 0;
    p.missing = false;
    p.problem = null;
    p.maxLimit = pool.maxLimit();
    p.lastPoolSize = pool.danmaku().size();
    duplicates.increment(result.duplicates());
    if (pool.badItems() > 0) {
      badItems.increment(pool.badItems());
      p.badItems += pool.badItems();
      log.debug("video part {}: skipped {} bad items ({})", cid, pool.badItems(), pool.firstBadReason());
    }
    if (pool.replacedChars() > 0) {
      invalidChars.increment(pool.replacedChars());
      p.invalidChars += pool.replacedChars();
      log.debug("video part {}: replaced {} characters XML 1.0 forbids by U+FFFD", cid, pool.replacedChars());
    }
    if (result.gap() && date == null) {
      p.gaps++;
      gapsCounter.increment();
      log.info("video part {} (av{}): gap (the full pool shared nothing with the last read)", cid, p.video.aid);
    }
    if (date != null) {
      p.dates.remove(0);
      p.historyDoneUntil = date.timestamp();
      p.historyDatesDone++;
      if (p.dates.isEmpty()) {
        p.historyComplete = true;
        log.info("video part {} (av{}): history read ({} dates)", cid, p.video.aid, p.historyDatesDone);
      }
    } else {
      p.schedule.onRead(now, result.fresh().size(), pool.maxLimit(), result.gap());
    }
    List<SourceItem> items = items(cid, p.video.aid, p.video.bvid, p.part.page(), result.fresh(), now);
    p.handed += items.size();
    pipeline.publish(new SourceBatch(StreamKey.videoPart(cid), date != null ? "video-history" : "video-pool", items,
        p.stateRecord()));
  }

  /** The record values of a read's fresh danmaku (SPEC §4), oldest first. */
  public static List<SourceItem> items(long cid, long aid, String bvid, int page, List<PoolDanmaku> fresh, long now) {
    List<SourceItem> items = new ArrayList<>(fresh.size());
    FieldMap.Head part = RecordValues.videoPart(cid, aid, bvid, page);
    for (PoolDanmaku d : fresh) {
      items.add(new SourceItem(new JsonObject(d.recordValue(part, now)), d.ctime() * 1000));
    }
    return items;
  }

  private void finishHistory(PartReader p) {
    p.historyComplete = true;
    p.dates = List.of();
    publishState(p);
  }

  private void publishState(PartReader p) {
    pipeline.publish(new SourceBatch(StreamKey.videoPart(p.part.cid()), "video-history", List.of(),
        p.stateRecord()));
  }

  private void partFailure(PartReader p, ApiAnswer.Failed<?> failed) {
    long now = System.currentTimeMillis();
    p.problem = failed.outcome().label() + ": " + failed.reason();
    if (failed.kind() == FailureKind.RISK_CONTROL) {
      // The gate holds every request back; this part goes again when it opens.
      p.schedule.onFailure(now, 1);
      return;
    }
    p.failures++;
    long delay = backoffMs(p.failures);
    p.schedule.onFailure(now, delay);
    if (p.failures == 1) {
      log.warn("video part {} (av{}) read failed ({}); retrying in {} ms", p.part.cid(), p.video.aid, p.problem, delay);
    }
  }

  // ---- the API's view ----

  private JsonObject entry(Followed v, long now) {
    JsonArray partList = new JsonArray();
    long total = 0;
    for (PartReader p : parts.values()) {
      if (p.video != v) {
        continue;
      }
      long n = p.publishedTotal();
      total += n;
      JsonObject part = new JsonObject()
          .put("cid", p.part.cid())
          .put("page", p.part.page())
          .put("part", p.part.part())
          .put("duration", p.part.duration())
          .put("state", p.state())
          .put("danmaku_published", n)
          .put("last_read_at", p.schedule.lastReadAtMs() > 0 ? p.schedule.lastReadAtMs() : null)
          .put("next_read_at", v.step == Step.INVALID ? null : p.schedule.nextReadAtMs())
          .put("interval_ms", p.schedule.intervalMs())
          .put("read_in_flight", p.busy)
          .put("rate_per_second", Math.round(p.schedule.ratePerSecond() * 1000) / 1000.0)
          .put("pool_size", p.lastPoolSize)
          .put("max_limit", p.maxLimit)
          .put("gaps", p.gaps)
          .put("bad_items", p.badItems)
          .put("invalid_chars", p.invalidChars);
      if (settings.history()) {
        part.put("history", new JsonObject().put("complete", p.historyComplete).put("dates_done", p.historyDatesDone)
            .put("dates_left", p.dates == null ? null : p.dates.size()));
      }
      if (p.problem != null) {
        part.put("problem", p.problem);
      }
      partList.add(part);
    }
    JsonObject entry = new JsonObject()
        .put("video", v.requested.canonical())
        .put("aid", v.aid > 0 ? v.aid : null)
        .put("bvid", v.bvid)
        .put("title", v.info == null ? null : v.info.title())
        .put("episode", v.episode == null ? null : v.episode.ep())
        .put("state", v.state())
        .put("danmaku_published", total)
        .put("parts", partList);
    if (v.problem != null) {
      entry.put("problem", v.problem);
    }
    return entry;
  }

  private JsonObject list() {
    long now = System.currentTimeMillis();
    JsonArray list = new JsonArray();
    videos.values().forEach(v -> list.add(entry(v, now)));
    return new JsonObject().put("videos", list);
  }
}
