package io.danmakurelay.sim;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** STUB - replaced by the simulator's own command. */
@Command(name = "simulate", mixinStandardHelpOptions = true, description = "stub")
public final class SimulateCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    return 1;
  }
}
