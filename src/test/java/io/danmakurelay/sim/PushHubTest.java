package io.danmakurelay.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PushHubTest {

  /** A connection that records being dropped, and may run something when it is (a client reconnecting at once). */
  private static final class FakeLive implements PushHub.Live {
    final long room;
    final Runnable onDrop;
    boolean dropped;

    FakeLive(long room, Runnable onDrop) {
      this.room = room;
      this.onDrop = onDrop;
    }

    @Override
    public long room() {
      return room;
    }

    @Override
    public void drop(String reason) {
      dropped = true;
      onDrop.run();
    }
  }

  @Test
  @DisplayName("A drop fault drops the connections live when it is asked for, not the reconnects that arrive while it runs")
  void dropSparesReconnectsDuringIt() {
    PushHub hub = new PushHub(new TrafficModel(SimulatorSettings.defaults(0, 12, 10, 7), TrafficModelTest.T0), 7);
    List<FakeLive> reconnects = new ArrayList<>();
    List<FakeLive> first = new ArrayList<>();
    for (int id = 1; id <= 12; id++) {
      long room = 1_000_000 + id;
      boolean reconnectsAtOnce = id == 1;
      FakeLive c = new FakeLive(room, () -> {
        if (reconnectsAtOnce) {
          // Room 1's client is back before the fault has gone through the others: new ids land all over the map.
          for (int again = 13; again <= 40; again++) {
            FakeLive back = new FakeLive(room, () -> { });
            reconnects.add(back);
            hub.live(again, back);
          }
        }
      });
      first.add(c);
      hub.live(id, c);
    }
    assertThat(hub.drop(null)).isEqualTo(12);
    assertThat(first).allMatch(c -> c.dropped);
    assertThat(reconnects).hasSize(28).noneMatch(c -> c.dropped);
  }
}
