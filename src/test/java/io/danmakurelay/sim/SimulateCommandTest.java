package io.danmakurelay.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

@DisplayName("The simulate command")
class SimulateCommandTest {

  @Test
  @DisplayName("has the documented defaults")
  void defaults() {
    SimulateCommand command = new SimulateCommand();
    new CommandLine(command).parseArgs();
    SimulatorSettings s = command.settings();
    assertThat(s.host()).isEqualTo("127.0.0.1");
    assertThat(s.port()).isEqualTo(8090);
    assertThat(s.rooms()).isEqualTo(100);
    assertThat(s.totalRate()).isEqualTo(50.0);
    assertThat(s.zipf()).isEqualTo(1.1);
    assertThat(s.seed()).isEqualTo(42);
    assertThat(s.rateLimit()).isZero();
    assertThat(s.banSeconds()).isEqualTo(60);
    assertThat(s).isEqualTo(new SimulatorSettings("127.0.0.1", 8090, 100, 50, 1.1, 42, 0, 60));
  }

  @Test
  @DisplayName("reads every flag")
  void flags() {
    SimulateCommand command = new SimulateCommand();
    new CommandLine(command).parseArgs("--host", "0.0.0.0", "--port", "0", "--rooms", "7", "--total-rate", "300",
        "--zipf", "0.8", "--seed", "9", "--rate-limit", "20", "--ban-seconds", "5", "--repeat-probability", "0.2",
        "--admin-fraction", "0.1", "--short-id-rooms", "3", "--message-cap", "1000");
    assertThat(command.settings())
        .isEqualTo(new SimulatorSettings("0.0.0.0", 0, 7, 300, 0.8, 9, 20, 5, 0.2, 0.1, 3, 1000));
  }

  @Test
  @DisplayName("refuses an invalid value with a usage error naming it, before starting anything")
  void invalidValue() {
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new SimulateCommand());
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute("--rooms", "0");
    assertThat(exit).isEqualTo(2);
    assertThat(err.toString()).contains("rooms must be at least 1");
  }
}
