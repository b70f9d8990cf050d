package io.danmakurelay.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmakurelay.sim.SimMessage;
import io.danmakurelay.upstream.DanmakuList;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The soak's verdict on hand-made ground truths: counting, the repeat convention, and the loss causes. */
class SoakLedgerTest {

  private static final long ROOM = 1_000_001;
  private static final long T0 = 1_764_388_800_000L;

  /** Messages 0..n-1, one per second; {@code repeatOf[i] = j} makes message i an identical resend of j. */
  private static List<SimMessage> truth(int n, Map<Integer, Integer> repeatOf) {
    List<SimMessage> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Integer original = repeatOf.get(i);
      SimMessage m = original == null
          ? new SimMessage(ROOM, i, DanmakuList.ROOM, 100 + i, "n" + i, "text " + i, T0 + i * 1000L, (long) i << 32, false)
          : out.get(original);
      out.add(original == null ? m
          : new SimMessage(ROOM, i, m.list(), m.uid(), m.nickname(), m.text(), m.tsMs(), m.bits(), true));
    }
    return out;
  }

  private static SoakLedger.Published record(SimMessage m, long fetchedAt) {
    return new SoakLedger.Published(ROOM, "room", SoakLedger.key(m.uid(), m.nickname(), m.text(), m.timeline(), m.rnd()),
        "id-" + m.seq() + "-" + fetchedAt, fetchedAt);
  }

  private static List<SoakLedger.Published> answer(List<SimMessage> truth, int from, int to, long fetchedAt) {
    List<SoakLedger.Published> out = new ArrayList<>();
    for (int i = from; i <= to; i++) {
      out.add(record(truth.get(i), fetchedAt));
    }
    return out;
  }

  private static SoakLedger compare(List<SimMessage> truth, List<SoakLedger.Published> kafka,
      List<SoakLedger.Fault> faults) {
    SoakLedger ledger = new SoakLedger();
    ledger.compare(Map.of(ROOM, truth), kafka, faults);
    return ledger;
  }

  @Test
  @DisplayName("every message published once gives no duplicate and no loss; one published twice is a duplicate")
  void exactlyOnceAndDuplicates() {
    List<SimMessage> truth = truth(15, Map.of());
    List<SoakLedger.Published> kafka = new ArrayList<>(answer(truth, 0, 9, T0 + 9_500));
    kafka.addAll(answer(truth, 10, 14, T0 + 14_500));
    SoakLedger clean = compare(truth, kafka, List.of());
    assertThat(clean.generated).isEqualTo(15);
    assertThat(clean.duplicates).isZero();
    assertThat(clean.lost).isZero();

    kafka.add(record(truth.get(12), T0 + 20_000));
    assertThat(compare(truth, kafka, List.of()).duplicates).isEqualTo(1);
  }

  @Test
  @DisplayName("a window outrun while a fault lasted is a loss explained by that fault, counted as one run")
  void outrunDuringFault() {
    List<SimMessage> truth = truth(25, Map.of());
    List<SoakLedger.Published> kafka = new ArrayList<>(answer(truth, 0, 4, T0 + 4_500));
    kafka.addAll(answer(truth, 15, 24, T0 + 24_500));
    SoakLedger ledger = compare(truth, kafka, List.of(new SoakLedger.Fault("relay kill -9", T0 + 4_800, T0 + 24_000)));
    assertThat(ledger.lost).isEqualTo(10);
    assertThat(ledger.lostByCause).containsExactly(Map.entry("window outrun during relay kill -9", 10L));
    assertThat(ledger.runs).hasSize(1);

    SoakLedger withAftermath = compare(truth, kafka, List.of(
        new SoakLedger.Fault("slow-down", T0, T0 + 60_000, true),
        new SoakLedger.Fault("relay kill -9", T0 + 4_800, T0 + 24_000)));
    assertThat(withAftermath.lostByCause).containsExactly(Map.entry("window outrun during relay kill -9", 10L));

    SoakLedger noFault = compare(truth, kafka, List.of());
    assertThat(noFault.lostByCause).containsOnlyKeys("window outrun, no fault (poll interval too long)");
  }

  @Test
  @DisplayName("a message missing from a window an answer showed is reported as a bug")
  void missingFromAnsweredWindow() {
    List<SimMessage> truth = truth(10, Map.of());
    List<SoakLedger.Published> kafka = new ArrayList<>(answer(truth, 0, 4, T0 + 9_500));
    kafka.addAll(answer(truth, 6, 9, T0 + 9_500));
    SoakLedger ledger = compare(truth, kafka, List.of());
    assertThat(ledger.lostByCause).containsExactly(Map.entry("in an answered window, not published (bug)", 1L));
  }

  @Test
  @DisplayName("of two identical repeats cut by a window's oldest edge, the older one counts as lost by the outrun")
  void identicalRepeatAtWindowEdge() {
    // 11 and 12 are the same message sent twice; the second answer shows 12..21, so only one copy was visible.
    List<SimMessage> truth = truth(22, Map.of(12, 11));
    List<SoakLedger.Published> kafka = new ArrayList<>(answer(truth, 0, 8, T0 + 8_500));
    kafka.addAll(answer(truth, 12, 21, T0 + 21_500));
    SoakLedger ledger = compare(truth, kafka, List.of());
    assertThat(ledger.lost).isEqualTo(3);
    assertThat(ledger.duplicates).isZero();
    assertThat(ledger.lostByCause).containsOnlyKeys("window outrun, no fault (poll interval too long)");
  }
}
