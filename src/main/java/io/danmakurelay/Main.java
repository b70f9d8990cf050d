package io.danmakurelay;

import io.danmakurelay.sim.SimulateCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The command line: {@code run} (the relay) and {@code simulate} (the stand-in Bilibili). */
@Command(
    name = "danmaku-relay",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Follows Bilibili live rooms and relays their danmaku, exactly once, to Kafka and WebSocket clients.",
    subcommands = {RunCommand.class, SimulateCommand.class})
public final class Main implements Runnable {

  @CommandLine.Spec
  private CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line (also used by the tests). */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    // One clear line for a wrong flag or value, not a stack trace.
    cli.setParameterExceptionHandler((ex, args) -> {
      CommandLine c = ex.getCommandLine();
      c.getErr().println("error: " + ex.getMessage());
      c.getErr().println("try '" + c.getCommandSpec().qualifiedName() + " --help'");
      return 2;
    });
    return cli;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is needed: run or simulate");
  }

  /** The version from the jar's manifest (a development build says so). */
  public static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"danmaku-relay " + (version == null ? "(development build)" : version)};
    }
  }
}
