package io.danmakurelay.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Ordered faults")
class FaultPlanTest {

  @Test
  @DisplayName("spoil exactly the next K answers of their room, the room's own order first")
  void roomOrderBeforeAnyRoom() {
    FaultPlan plan = new FaultPlan();
    plan.order(7L, FaultMode.HTTP502, 2);
    plan.order(null, FaultMode.SLOW, 1);
    assertThat(plan.pending()).isEqualTo(3);
    assertThat(plan.take(8)).isEqualTo(FaultMode.SLOW);
    assertThat(plan.take(8)).isNull();
    assertThat(plan.take(7)).isEqualTo(FaultMode.HTTP502);
    assertThat(plan.take(7)).isEqualTo(FaultMode.HTTP502);
    assertThat(plan.take(7)).isNull();
    assertThat(plan.served()).isEqualTo(3);
    assertThat(plan.pending()).isZero();
  }

  @Test
  @DisplayName("are replaced by a later order and cancelled by a count of zero")
  void replaceAndCancel() {
    FaultPlan plan = new FaultPlan();
    plan.order(7L, FaultMode.RESET, 5);
    plan.order(7L, FaultMode.HUGE, 1);
    assertThat(plan.take(7)).isEqualTo(FaultMode.HUGE);
    plan.order(7L, FaultMode.RESET, 5);
    plan.order(7L, FaultMode.RESET, 0);
    assertThat(plan.take(7)).isNull();
  }

  @Test
  @DisplayName("have wire names as the control API spells them")
  void wireNames() {
    assertThat(FaultMode.fromWire("code-412")).contains(FaultMode.CODE_412);
    assertThat(FaultMode.fromWire("roomid")).contains(FaultMode.ROOMID);
    assertThat(FaultMode.fromWire("nope")).isEmpty();
  }
}
