"""Every name this stack gives a resource, from `retraining_shared.naming` (docs/architecture.md).

Two names are specific to this stack and therefore built here, with naming's AWS limit checks:
- the schedule group `<base>`: EventBridge Scheduler publishes its CloudWatch metrics
  (`InvocationDroppedCount`, ...) per schedule group only, so each stack's schedule gets a group
  of its own; in the shared `default` group the failed-invocation alarm would fire for every
  team's schedules;
- the Step Functions log group `/aws/vendedlogs/states/<state machine>`: the prefix AWS
  recommends for vended logs (its resource policy size limit is per prefix).
"""

from __future__ import annotations

from dataclasses import dataclass

from retraining_shared import naming

STATE_MACHINE_LOG_GROUP_PREFIX = "/aws/vendedlogs/states/"


@dataclass(frozen=True)
class StackNames:
    """The deterministic names of one team/model/environment's retraining resources."""

    team: str
    model: str
    environment: str

    @property
    def base(self) -> str:
        return naming.base_name(self.team, self.model, self.environment)

    @property
    def training_job_name_prefix(self) -> str:
        return naming.training_job_name_prefix(self.team, self.model, self.environment)

    @property
    def function(self) -> str:
        return naming.orchestrator_function_name(self.team, self.model, self.environment)

    @property
    def function_log_group(self) -> str:
        return naming.orchestrator_log_group_name(self.team, self.model, self.environment)

    @property
    def state_machine(self) -> str:
        return naming.state_machine_name(self.team, self.model, self.environment)

    @property
    def state_machine_log_group(self) -> str:
        return naming.LOG_GROUP_NAME.check(f"{STATE_MACHINE_LOG_GROUP_PREFIX}{self.state_machine}")

    @property
    def schedule_rule(self) -> str:
        return naming.schedule_rule_name(self.team, self.model, self.environment)

    @property
    def schedule(self) -> str:
        return naming.schedule_name(self.team, self.model, self.environment)

    @property
    def schedule_group(self) -> str:
        # Same characters and length limit as a schedule name (1-64, letters, digits, ._-).
        return naming.SCHEDULE_NAME.check(self.base)

    @property
    def job_state_rule(self) -> str:
        return naming.job_state_rule_name(self.team, self.model, self.environment)

    @property
    def schedule_dead_letter_queue(self) -> str:
        return naming.schedule_dead_letter_queue_name(self.team, self.model, self.environment)

    @property
    def orchestrator_dead_letter_queue(self) -> str:
        return naming.orchestrator_dead_letter_queue_name(self.team, self.model, self.environment)

    @property
    def model_package_group(self) -> str:
        return naming.model_package_group_name(self.team, self.model, self.environment)

    @property
    def model_gate_function(self) -> str:
        return naming.model_gate_function_name(self.team, self.model, self.environment)

    @property
    def model_gate_log_group(self) -> str:
        return naming.model_gate_log_group_name(self.team, self.model, self.environment)

    @property
    def job_state_queue(self) -> str:
        return naming.job_state_queue_name(self.team, self.model, self.environment)

    @property
    def job_state_dead_letter_queue(self) -> str:
        return naming.job_state_dead_letter_queue_name(self.team, self.model, self.environment)

    def alarm(self, purpose: str) -> str:
        return naming.alarm_name(self.team, self.model, self.environment, purpose)
