package io.danmakurelay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MainTest {

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  @Test
  @DisplayName("--help on each command describes it and exits 0")
  void help() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString()).contains("run").contains("simulate");
    assertThat(run("run", "--help")).isZero();
    assertThat(out.toString()).contains("--config").contains("--room").contains("--demo");
    assertThat(run("simulate", "--help")).isZero();
    assertThat(run("run", "--version")).isZero();
    assertThat(out.toString()).contains("danmaku-relay");
  }

  @Test
  @DisplayName("a wrong flag prints one clear line (plus a hint) and exits non-zero")
  void wrongFlag() {
    assertThat(run("run", "--bogus")).isEqualTo(2);
    assertThat(err.toString().lines()).hasSize(2).first().asString().startsWith("error: Unknown option: '--bogus'");
  }

  @Test
  @DisplayName("a missing config file stops start-up with one line naming it")
  void missingConfig(@TempDir Path dir) {
    assertThat(run("run", "--config", dir.resolve("absent.json").toString())).isEqualTo(2);
    assertThat(err.toString().trim()).isEqualTo("config error: config file " + dir.resolve("absent.json") + ": not found");
  }

  @Test
  @DisplayName("an invalid value stops start-up with one line naming the key, before anything starts")
  void invalidValue(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("c.json");
    Files.writeString(f, "{\"http\":{\"port\":-1}}");
    assertThat(run("run", "--config", f.toString())).isEqualTo(2);
    assertThat(err.toString().trim()).isEqualTo("config error: http.port: must be an integer from 0 to 65535, got -1");
    assertThat(run("run", "--room", "abc")).isEqualTo(2);
    assertThat(err.toString()).contains("config error: rooms: a room id must be a positive integer, got \"abc\"");
  }
}
