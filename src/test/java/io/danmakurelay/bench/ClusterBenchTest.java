package io.danmakurelay.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The cluster benchmark's command line (scripts/bench-cluster.sh) and its figures' arithmetic. */
class ClusterBenchTest {

  private static ClusterBench.Settings parse(String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "relay.jar";
    System.arraycopy(args, 0, all, 1, args.length);
    return ClusterBench.Settings.parse(all, 1);
  }

  @Test
  @DisplayName("with no options it runs 1, 2 and 3 relays on S1 scaled up: 1000 rooms, 900 msg/s, 50 requests/s each")
  void defaults() {
    ClusterBench.Settings s = parse();
    assertThat(s.relays()).containsExactly(1, 2, 3);
    assertThat(s.rooms()).isEqualTo(1000);
    assertThat(s.rate()).isEqualTo(900.0);
    assertThat(s.budget()).isEqualTo(50);
    assertThat(s.window()).isEqualTo(60);
  }

  @Test
  @DisplayName("options set the relay counts, traffic, budget and durations; --quick shortens warm-up and window")
  void options() {
    ClusterBench.Settings s = parse("--relays", "1, 3", "--rooms", "200", "--rate", "120.5", "--budget", "10",
        "--quick", "--seed", "7");
    assertThat(s.relays()).containsExactly(1, 3);
    assertThat(s.rooms()).isEqualTo(200);
    assertThat(s.rate()).isEqualTo(120.5);
    assertThat(s.budget()).isEqualTo(10);
    assertThat(s.warmup()).isEqualTo(15);
    assertThat(s.window()).isEqualTo(20);
    assertThat(s.seed()).isEqualTo(7);
  }

  @Test
  @DisplayName("a bad option is refused with a message that names it")
  void badOptions() {
    assertThatThrownBy(() -> parse("--relays", "0,2")).hasMessageContaining("--relays");
    assertThatThrownBy(() -> parse("--relays", "two")).hasMessageContaining("--relays two: not a number");
    assertThatThrownBy(() -> parse("--budget")).hasMessageContaining("--budget needs a value");
    assertThatThrownBy(() -> parse("--budget", "0")).hasMessageContaining("--budget");
    assertThatThrownBy(() -> parse("--frobnicate", "1")).hasMessageContaining("unknown argument --frobnicate");
  }

  @Test
  @DisplayName("a row gives the ratio to one relay, and the simulator's busiest second shared by the relays")
  void row() {
    ClusterBench.Row one = new ClusterBench.Row(1, 900, 300, 0, 50, 50, 49.8, 49.8, 0, 1.5);
    ClusterBench.Row three = new ClusterBench.Row(3, 900, 810, 0, 150, 147, 49.5, 49.9, 0, 2.5);
    String line = three.format(one, 50);
    assertThat(line.trim().split("\\s+")).startsWith("3", "900.0", "810.0", "90.0%", "2.70", "0", "150.0", "49.0",
        "49.5..49.9");
    assertThat(one.format(null, 50).trim().split("\\s+")[4]).isEqualTo("-");
    assertThat(List.of(ClusterBench.Row.HEADER.split("\\s+"))).contains("ratio", "budget");
  }
}
