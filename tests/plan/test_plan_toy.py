"""End-to-end offline plans of the toy world: programs under mocks, the toy pack over gRPC.

Each scenario is planned once per module (a pack process start each) and shared by its tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import jsonschema
import pytest
from offline_plan.mock_runtime import UNKNOWN
from plan_harness import BROKEN_PACK, IDENTITY_PACK, REVIEW, SCHEMA, PlanOutcome

RUN_IDENTITY_REVIEWS = ("teamw-wildcard-dev", "teamn-silent-dev", "teamr-rate-dev")
BROKEN_REVIEWS = (
    "teams-badcron-dev",
    "teamx-brokenyaml-dev",
    "teamu-orphan-dev",
    "teamk-secret-dev",
    "teamo-nooutput-dev",
)


def review_arguments(*stacks: str) -> list[str]:
    arguments: list[str] = []
    for stack in stacks:
        arguments += ["--stack-config", str(REVIEW / f"Pulumi.{stack}.yaml")]
    return arguments


@pytest.fixture(scope="module")
def clean(plan_cli: Callable[..., PlanOutcome]) -> PlanOutcome:
    """The whole dev environment of the toy world: every stack passes."""
    return plan_cli("--env", "dev")


@pytest.fixture(scope="module")
def violations(plan_cli: Callable[..., PlanOutcome]) -> PlanOutcome:
    """Three teams' stacks under review: a wildcard role, no notification rule, a 30 min rate."""
    return plan_cli(*review_arguments(*RUN_IDENTITY_REVIEWS))


@pytest.fixture(scope="module")
def broken(plan_cli: Callable[..., PlanOutcome]) -> PlanOutcome:
    """Five stacks whose input cannot be planned, in one run: every problem reported at once."""
    return plan_cli(*review_arguments(*BROKEN_REVIEWS))


# Exit code 0 ------------------------------------------------------------------------------


def test_clean_environment_exits_0_with_every_stack_planned_in_dependency_order(
    clean: PlanOutcome,
) -> None:
    assert clean.exit_code == 0, clean.text
    assert clean.report["ok"] is True
    order = [(s["project"], s["stack"]) for s in clean.report["stacks"]]
    assert order == [
        ("network-iam", "dev"),
        ("notifications", "dev"),
        ("retraining", "teama-churn-dev"),
        ("retraining", "teamb-fraud-dev"),
    ]
    assert {s["status"] for s in clean.report["stacks"]} == {"planned"}
    assert "OK" in clean.text
    assert clean.report["policy_pack"]["processes"] == "shared"
    assert clean.report["policy_pack"]["processes_started"] == 1


def test_stack_reference_outputs_are_resolved_key_by_key(clean: PlanOutcome) -> None:
    """network-iam exports known role ARNs and unknown key ARNs: each keeps its own knownness."""
    outputs = clean.stack("teama-churn-dev")["outputs"]
    assert outputs["execution_role_arn"] == (
        "arn:aws:iam::123456789012:role/teama-dev-sagemaker-execution"
    )
    assert outputs["kms_key_arn"] == UNKNOWN
    assert outputs["sns_topic_arn"] == (
        "arn:aws:sns:eu-west-1:123456789012:teama-dev-retraining-notifications"
    )
    # The orchestrator role's ARN is computed by the provider: unknown in a preview.
    assert outputs["orchestrator_role_arn"] == UNKNOWN
    assert "(known after apply)" in clean.text


def test_unknown_upstream_value_stays_unknown_in_downstream_inputs(clean: PlanOutcome) -> None:
    topic = next(
        r
        for r in clean.stack("dev", project="notifications")["resources"]
        if r["name"] == "teama-dev-retraining-notifications"
    )
    assert topic["inputs"]["kmsMasterKeyId"] == UNKNOWN  # network-iam's key ARN
    assert topic["inputs"]["name"] == "teama-dev-retraining-notifications"


def test_secrets_are_masked_upstream_and_stay_secret_downstream(clean: PlanOutcome) -> None:
    assert clean.stack("dev", project="network-iam")["outputs"]["bootstrap_token"] == "[secret]"
    assert clean.stack("teama-churn-dev")["outputs"]["bootstrap_token"] == "[secret]"
    assert "token-for-dev" not in json.dumps(clean.report)
    assert "token-for-dev" not in clean.text


def test_resources_form_a_tree_with_reads_and_the_default_provider(clean: PlanOutcome) -> None:
    resources = {r["name"]: r for r in clean.stack("teama-churn-dev")["resources"]}
    policy = resources["teama-churn-dev-orchestrator-policy"]
    role = resources["teama-churn-dev-orchestrator-role"]
    component = resources["teama-churn-dev-orchestrator"]
    stack = resources["retraining-teama-churn-dev"]
    assert policy["parent"] == role["urn"]
    assert role["parent"] == component["urn"]
    assert component["parent"] == stack["urn"]
    assert stack["parent"] is None
    assert component["custom"] is False
    assert resources["organization/network-iam/dev"]["operation"] == "read"
    provider = resources["default_7_51_1"]
    assert provider["type"] == "pulumi:providers:aws"
    assert provider["inputs"] == {"region": "eu-west-1", "version": "7.51.1"}
    assert role["provider"] == provider["urn"]


@pytest.mark.parametrize("scenario", ["clean", "violations", "broken"])
def test_json_report_matches_its_schema(scenario: str, request: pytest.FixtureRequest) -> None:
    outcome: PlanOutcome = request.getfixturevalue(scenario)
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(outcome.report)
    assert outcome.report["exit_code"] == outcome.exit_code


# Exit code 1 ------------------------------------------------------------------------------


def test_wildcard_role_is_a_mandatory_violation_naming_policy_and_resource(
    violations: PlanOutcome,
) -> None:
    assert violations.exit_code == 1, violations.text
    [wildcard] = violations.diagnostics("toy-iam-no-wildcard-actions")
    assert wildcard["level"] == "mandatory"
    assert wildcard["stack"] == "organization/retraining/teamw-wildcard-dev"
    assert wildcard["resource_type"] == "aws:iam/rolePolicy:RolePolicy"
    assert wildcard["resource_name"] == "teamw-wildcard-dev-orchestrator-policy"
    assert "'*'" in wildcard["message"]
    assert wildcard["remediation"].startswith("Name each action")
    assert "toy-iam-no-wildcard-actions" in violations.text
    assert "teamw-wildcard-dev-orchestrator-policy" in violations.text
    assert "BLOCKED" in violations.text


def test_missing_notification_rule_is_a_mandatory_stack_violation(
    violations: PlanOutcome,
) -> None:
    [silent] = violations.diagnostics("toy-notifications-required")
    assert silent["level"] == "mandatory"
    assert silent["stack"] == "organization/retraining/teamn-silent-dev"
    assert silent["urn"] is None  # a stack policy reported without a resource
    assert "toy-notifications-required" in violations.text


def test_policy_schema_defaults_reach_the_pack(violations: PlanOutcome) -> None:
    """The toy policy reads its minimum without a fallback: only the schema default (45)
    applied by the planner, as the CLI applies it, lets it judge rate(30 minutes)."""
    [rate] = violations.diagnostics("toy-schedule-frequency")
    assert rate["level"] == "advisory"
    assert rate["resource_name"] == "teamr-rate-dev-schedule"
    assert "minimum of 45 min" in rate["message"]


def test_upstream_stacks_are_planned_but_not_judged(violations: PlanOutcome) -> None:
    roles = {s["stack"]: s["role"] for s in violations.report["stacks"]}
    assert roles["dev"] == "upstream"
    assert roles["teamw-wildcard-dev"] == "target"
    judged = {d["stack"] for d in violations.report["diagnostics"]}
    assert "organization/network-iam/dev" not in judged


# Exit code 2 ------------------------------------------------------------------------------


def _error_for(outcome: PlanOutcome, stack: str) -> dict[str, str | None]:
    matches = [e for e in outcome.report["errors"] if stack in (e["file"] or "")]
    assert len(matches) == 1, outcome.report["errors"]
    return matches[0]


def test_broken_inputs_exit_2_and_every_problem_is_reported_at_once(broken: PlanOutcome) -> None:
    assert broken.exit_code == 2, broken.text
    assert broken.report["ok"] is False
    assert len(broken.report["errors"]) == len(BROKEN_REVIEWS)
    statuses = {s["stack"]: s["status"] for s in broken.report["stacks"]}
    assert all(statuses[name] == "failed" for name in BROKEN_REVIEWS)
    assert statuses["dev"] == "planned"  # the upstream stacks are fine
    assert "ERROR" in broken.text


def test_bad_schedule_names_the_key_and_the_file(broken: PlanOutcome) -> None:
    error = _error_for(broken, "teams-badcron-dev")
    assert error["key"] == "retraining:schedule"
    assert "cron(0 6 * * *)" in str(error["message"])
    assert "retraining:schedule" in broken.text


def test_broken_yaml_names_the_file(broken: PlanOutcome) -> None:
    error = _error_for(broken, "teamx-brokenyaml-dev")
    assert "not valid YAML" in str(error["message"])
    # The terminal box wraps long paths mid-word; how far depends on the checkout's path.
    assert "Pulumi.teamx-brokenyaml-dev.yaml" in broken.text.replace("\n", "")


def test_missing_upstream_stack_names_the_key(broken: PlanOutcome) -> None:
    error = _error_for(broken, "teamu-orphan-dev")
    assert error["key"] == "retraining:networkIamStack"
    assert "organization/network-iam/prod" in str(error["message"])


def test_missing_upstream_output_names_the_output_and_the_key(broken: PlanOutcome) -> None:
    error = _error_for(broken, "teamo-nooutput-dev")
    assert "vpc_endpoint_ids" in str(error["message"])
    assert error["key"] == "retraining:networkIamStack"


def test_secure_config_is_refused_naming_the_key(broken: PlanOutcome) -> None:
    error = _error_for(broken, "teamk-secret-dev")
    assert "retraining:apiToken" in str(error["message"])
    assert "--config" in str(error["message"])


def test_secure_config_with_a_plaintext_stand_in_plans_and_stays_masked(
    plan_cli: Callable[..., PlanOutcome],
) -> None:
    outcome = plan_cli(*review_arguments("teamk-secret-dev"), "--config", "apiToken=stand-in-value")
    assert outcome.exit_code == 0, outcome.text
    assert outcome.stack("teamk-secret-dev")["outputs"]["api_token"] == "[secret]"
    assert "stand-in-value" not in json.dumps(outcome.report)


# Policy pack configuration ------------------------------------------------------------------


def test_policy_pack_config_file_sets_levels_and_properties(
    plan_cli: Callable[..., PlanOutcome], tmp_path_factory: pytest.TempPathFactory
) -> None:
    config = tmp_path_factory.mktemp("policy-config") / "policy-config.json"
    config.write_text(
        json.dumps({"all": "advisory", "toy-schedule-frequency": {"minimumIntervalMinutes": 15}})
    )
    outcome = plan_cli(
        *review_arguments("teamw-wildcard-dev", "teamr-rate-dev"),
        "--policy-pack-config",
        str(config),
    )
    assert outcome.exit_code == 0, outcome.text  # `all: advisory` demotes the wildcard rule
    [wildcard] = outcome.diagnostics("toy-iam-no-wildcard-actions")
    assert wildcard["level"] == "advisory"
    assert outcome.diagnostics("toy-schedule-frequency") == []  # 30 min >= 15 min
    assert set(outcome.report["policy_pack"]["enforcement"].values()) == {"advisory"}


def test_invalid_policy_pack_config_exits_2_naming_policy_and_property(
    plan_cli: Callable[..., PlanOutcome], tmp_path_factory: pytest.TempPathFactory
) -> None:
    config = tmp_path_factory.mktemp("policy-config") / "bad-policy-config.json"
    config.write_text(json.dumps({"toy-schedule-frequency": {"minimumIntervalMinutes": 0}}))
    outcome = plan_cli(*review_arguments("teamr-rate-dev"), "--policy-pack-config", str(config))
    assert outcome.exit_code == 2, outcome.text
    [error] = outcome.report["errors"]
    assert "toy-schedule-frequency.minimumIntervalMinutes" in str(error["message"])
    assert str(config) in str(error["message"])


# One pack process per stack when the pack reads the stack ------------------------------------


def test_pack_reading_the_stack_gets_one_process_per_stack_with_that_stack(
    plan_cli: Callable[..., PlanOutcome],
) -> None:
    """Each judged stack gets a pack started with its own identity and config; the pack of a
    stack whose program fails is stopped without blocking the others."""
    outcome = plan_cli(
        "--stack",
        "teama-churn-dev",
        "--stack",
        "teamb-fraud-dev",
        *review_arguments("teams-badcron-dev"),
        pack=IDENTITY_PACK,
    )
    assert outcome.exit_code == 2, outcome.text  # the bad schedule
    assert outcome.report["policy_pack"]["processes"] == "per-stack"
    assert outcome.report["policy_pack"]["processes_started"] == 3
    seen = {d["stack"]: d["message"] for d in outcome.diagnostics("toy-whoami")}
    assert set(seen) == {
        "organization/retraining/teama-churn-dev",
        "organization/retraining/teamb-fraud-dev",
    }
    assert (
        "stack=teama-churn-dev project=retraining team=teama"
        in (seen["organization/retraining/teama-churn-dev"])
    )
    assert (
        "stack=teamb-fraud-dev project=retraining team=teamb"
        in (seen["organization/retraining/teamb-fraud-dev"])
    )


def test_pack_that_fails_to_start_exits_2_with_its_output(
    plan_cli: Callable[..., PlanOutcome],
) -> None:
    outcome = plan_cli("--stack", "teama-churn-dev", pack=BROKEN_PACK)
    assert outcome.exit_code == 2, outcome.text
    [error] = outcome.report["errors"]
    assert "before it listened" in str(error["message"])
    assert "failed while loading its policies" in str(error["message"])
