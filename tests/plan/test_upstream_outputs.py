"""`--upstream-outputs`: the shipped retraining stacks planned against deployed base stacks.

network-iam and notifications run once under `run_program(..., preview=False)` (a simulated
`pulumi up`, concrete ids); their exports, unwrapped as `pulumi stack output --json
--show-secrets` prints them, go into files of both accepted shapes. Planned from those files, the
retraining stacks must carry the concrete values a real preview against deployed stacks sees,
where a plan of the base stacks in the same run only has unknowns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from offline_plan.mock_runtime import UNKNOWN, run_program
from plan_harness import SCHEMA, PlanOutcome, run_cli

# The module-scoped plans run once per test run: `nox -s tests` passes --dist loadgroup, so
# every test of this module runs on one xdist worker.
pytestmark = pytest.mark.xdist_group(__name__)

REPOSITORY = Path(__file__).parents[2]
STACKS = REPOSITORY / "stacks"
PACK = REPOSITORY / "policy"
NETWORK = "organization/network-iam/dev"
NOTIFICATIONS = "organization/notifications/dev"
FRAUD = "organization/retraining/fraud-scoring-dev"
CHURN = "organization/retraining/churn-forecast-dev"
TARGETS = ("--stack", "fraud-scoring-dev", "--stack", "churn-forecast-dev")


@dataclass(frozen=True)
class Deployed:
    """The base stacks' exports after a (simulated) deployment, as plain JSON values."""

    network: dict[str, Any]
    notifications: dict[str, Any]

    @property
    def subnet_ids(self) -> list[str]:
        return list(self.network["private_subnet_ids"])

    def kms_key_arn(self, team: str) -> str:
        return str(self.network["team_kms_key_arns"][team])


def _plan(folder: Path, *arguments: str) -> PlanOutcome:
    base = ["--stacks-dir", str(STACKS), "--policy-pack", str(PACK)]
    return run_cli([*base, *arguments], folder / "report.json")


def _write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def _resource(outcome: PlanOutcome, stack: str, type_token: str) -> dict[str, Any]:
    [found] = [
        resource
        for entry in outcome.report["stacks"]
        if entry["full_name"] == stack
        for resource in entry["resources"]
        if resource["type"] == type_token
    ]
    return found


def _training_infrastructure(outcome: PlanOutcome) -> dict[str, Any]:
    schedule = _resource(outcome, CHURN, "aws:scheduler/schedule:Schedule")
    execution_input = json.loads(schedule["inputs"]["target"]["input"])
    return dict(execution_input["trainingInfrastructure"])


@pytest.fixture(scope="module")
def deployed() -> Deployed:
    network = run_program(STACKS / "network-iam", "dev", preview=False)
    notifications = run_program(
        STACKS / "notifications",
        "dev",
        preview=False,
        stack_references={network.full_name: network.outputs},
    )
    exports = Deployed(network.plain_outputs(), notifications.plain_outputs())
    assert exports.subnet_ids, "network-iam exports no subnets: the checks below prove nothing"
    assert all(subnet.startswith("subnet-") for subnet in exports.subnet_ids)
    return exports


@pytest.fixture(scope="module", params=["one-stack-per-file", "stacks-by-name", "raw-stack-output"])
def planned(
    request: pytest.FixtureRequest,
    deployed: Deployed,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[PlanOutcome, list[Path]]:
    """The two retraining stacks planned against files of one of the two shapes."""
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "one-stack-per-file":
        files = [
            _write(folder / "network.json", {"stack": NETWORK, "outputs": deployed.network}),
            _write(
                folder / "notifications.json",
                {"stack": NOTIFICATIONS, "outputs": deployed.notifications},
            ),
        ]
    elif request.param == "raw-stack-output":
        # `--upstream-outputs ORG/PROJECT/STACK=FILE`: FILE exactly as `pulumi stack output
        # --json --show-secrets` prints it, no wrapping.
        files = [
            _write(folder / "network.json", deployed.network),
            _write(folder / "notifications.json", deployed.notifications),
        ]
        arguments = [
            "--upstream-outputs",
            f"{NETWORK}={files[0]}",
            "--upstream-outputs",
            f"{NOTIFICATIONS}={files[1]}",
        ]
        return _plan(folder, *TARGETS, *arguments), files
    else:
        files = [
            _write(
                folder / "base.json",
                {NETWORK: deployed.network, NOTIFICATIONS: deployed.notifications},
            )
        ]
    arguments = [argument for path in files for argument in ("--upstream-outputs", str(path))]
    return _plan(folder, *TARGETS, *arguments), files


def test_plan_exits_0_reading_the_base_stacks_instead_of_planning_them(
    planned: tuple[PlanOutcome, list[Path]],
) -> None:
    outcome, files = planned
    assert outcome.exit_code == 0, outcome.text
    assert outcome.report["errors"] == []
    assert {(s["full_name"], s["role"], s["status"]) for s in outcome.report["stacks"]} == {
        (FRAUD, "target", "planned"),
        (CHURN, "target", "planned"),
    }
    sources = {u["stack"]: u["source"] for u in outcome.report["upstream"]}
    assert sources == {
        NETWORK: str(files[0]),
        NOTIFICATIONS: str(files[-1]),
    }
    for read in outcome.report["upstream"]:
        assert sorted(read["read_by"]) == sorted([FRAUD, CHURN])
        assert read["secret_output_names"] == []
    assert "private_subnet_ids" in outcome.report["upstream"][0]["output_names"]
    text = "".join(outcome.text.split())  # rich wraps long paths anywhere
    for path in files:
        assert f"readfrom{path}" in text
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate(outcome.report)


def test_lambda_environment_carries_the_deployed_network(
    planned: tuple[PlanOutcome, list[Path]], deployed: Deployed
) -> None:
    outcome, _ = planned
    function = _resource(outcome, FRAUD, "aws:lambda/function:Function")
    variables = function["inputs"]["environment"]["variables"]
    assert variables["TRAINING_SUBNET_IDS"] == ",".join(deployed.subnet_ids)
    assert (
        variables["TRAINING_SECURITY_GROUP_IDS"] == deployed.network["training_security_group_id"]
    )
    assert variables["TRAINING_KMS_KEY_ARN"] == deployed.kms_key_arn("fraud")
    assert (
        variables["NOTIFICATION_TOPIC_ARN"]
        == (deployed.notifications["teams"]["fraud"]["topic_arn"])
    )


def test_state_machine_schedule_input_carries_the_deployed_network(
    planned: tuple[PlanOutcome, list[Path]], deployed: Deployed
) -> None:
    outcome, _ = planned
    assert _training_infrastructure(outcome) == {
        "subnetIds": deployed.subnet_ids,
        "securityGroupIds": [deployed.network["training_security_group_id"]],
        "kmsKeyArn": deployed.kms_key_arn("churn"),
    }


def _unknown_paths(value: Any, path: str) -> list[str]:
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _unknown_paths(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _unknown_paths(item, f"{path}[{i}]")]
    return [path] if value == UNKNOWN else []


def test_only_the_stacks_own_new_resources_stay_unknown(
    planned: tuple[PlanOutcome, list[Path]],
) -> None:
    """Planned from config, the base stacks' subnet ids, security group and key ARNs are
    unknown downstream; read from files, nothing upstream is: what remains unknown is what AWS
    computes for this stack's own new resources (a new queue's URL)."""
    outcome, _ = planned
    unknown = [
        path
        for entry in outcome.report["stacks"]
        for resource in entry["resources"]
        for path in _unknown_paths(resource["inputs"], f"{resource['type']} {resource['name']}")
    ]
    assert not [p for p in unknown if p.startswith("pulumi:pulumi:StackReference")]
    assert all(path.endswith(".queueUrl") for path in unknown), unknown


# secretOutputNames -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def secret_subnets(deployed: Deployed, tmp_path_factory: pytest.TempPathFactory) -> PlanOutcome:
    folder = tmp_path_factory.mktemp("secret")
    network = _write(
        folder / "network.json",
        {
            "stack": NETWORK,
            "outputs": deployed.network,
            "secretOutputNames": ["private_subnet_ids"],
        },
    )
    notifications = _write(folder / "notifications.json", {NOTIFICATIONS: deployed.notifications})
    return _plan(
        folder,
        *TARGETS,
        "--upstream-outputs",
        str(network),
        "--upstream-outputs",
        str(notifications),
        "--details",
    )


def test_outputs_the_file_marks_secret_stay_masked(
    secret_subnets: PlanOutcome, deployed: Deployed
) -> None:
    outcome = secret_subnets
    assert outcome.exit_code == 0, outcome.text
    function = _resource(outcome, FRAUD, "aws:lambda/function:Function")
    variables = function["inputs"]["environment"]["variables"]
    assert variables["TRAINING_SUBNET_IDS"] == "[secret]"
    # Other exports of the same file are not secret.
    assert variables["TRAINING_KMS_KEY_ARN"] == deployed.kms_key_arn("fraud")
    schedule = _resource(outcome, CHURN, "aws:scheduler/schedule:Schedule")
    assert schedule["inputs"]["target"]["input"] == "[secret]"
    [network] = [u for u in outcome.report["upstream"] if u["stack"] == NETWORK]
    assert network["secret_output_names"] == ["private_subnet_ids"]
    document = json.dumps(outcome.report)
    for subnet in deployed.subnet_ids:
        assert subnet not in document
        assert subnet not in outcome.text


# Deployed stacks this checkout has no config for -------------------------------------------------


@pytest.fixture(scope="module")
def production_review(
    deployed: Deployed, tmp_path_factory: pytest.TempPathFactory
) -> tuple[PlanOutcome, Path]:
    """The fraud team's stack under review, naming another organization's deployed base stacks
    (no Pulumi.prod.yaml here), plus an export file entry no stack reads."""
    folder = tmp_path_factory.mktemp("production")
    shipped = (STACKS / "retraining" / "Pulumi.fraud-scoring-dev.yaml").read_text()
    assert "retraining:networkIamStack" not in shipped, "the fixture edit below no longer applies"
    review = folder / "Pulumi.fraud-scoring-dev.yaml"
    review.write_text(
        shipped.replace(
            "config:\n",
            "config:\n  retraining:networkIamStack: acme/network-iam/prod\n"
            "  retraining:notificationsStack: acme/notifications/prod\n",
            1,
        )
    )
    exports = _write(
        folder / "acme.json",
        {
            "acme/network-iam/prod": deployed.network,
            "acme/notifications/prod": deployed.notifications,
            "acme/network-iam/staging": deployed.network,
        },
    )
    outcome = _plan(folder, "--stack-config", str(review), "--upstream-outputs", str(exports))
    return outcome, exports


def test_deployed_stacks_need_no_config_in_the_checkout(
    production_review: tuple[PlanOutcome, Path], deployed: Deployed
) -> None:
    outcome, exports = production_review
    assert outcome.exit_code == 0, outcome.text
    assert [s["full_name"] for s in outcome.report["stacks"]] == [FRAUD]
    read_by = {u["stack"]: u["read_by"] for u in outcome.report["upstream"]}
    assert read_by == {
        "acme/network-iam/prod": [FRAUD],
        "acme/notifications/prod": [FRAUD],
        "acme/network-iam/staging": [],
    }
    [warning] = outcome.report["warnings"]
    assert str(exports) in warning
    assert "acme/network-iam/staging" in warning
    function = _resource(outcome, FRAUD, "aws:lambda/function:Function")
    variables = function["inputs"]["environment"]["variables"]
    assert variables["TRAINING_SUBNET_IDS"] == ",".join(deployed.subnet_ids)


# Bad files --------------------------------------------------------------------------------------

BAD_FILES = [
    pytest.param("{not json", "not JSON", id="not-json"),
    pytest.param("[1, 2]", "expected a JSON object, got array", id="top-level-array"),
    pytest.param("{}", "names no stack", id="empty-mapping"),
    pytest.param(json.dumps({"stack": NETWORK}), 'missing the key "outputs"', id="no-outputs"),
    pytest.param(
        json.dumps({"stack": "network-iam/dev", "outputs": {}}),
        '"stack" "network-iam/dev" is not a fully qualified stack name',
        id="short-stack-name",
    ),
    pytest.param(
        json.dumps({"dev": {}}),
        'key "dev" is not a fully qualified stack name',
        id="short-stack-key",
    ),
    pytest.param(
        json.dumps({"stack": NETWORK, "outputs": ["subnet-1"]}),
        "must be a JSON object",
        id="outputs-not-object",
    ),
    pytest.param(
        json.dumps({NETWORK: {"vpc_id": "vpc-1"}, NOTIFICATIONS: "teams"}),
        "must be a JSON object",
        id="stack-value-not-object",
    ),
    pytest.param(
        json.dumps({"stack": NETWORK, "outputs": {"a": 1}, "secretOutputNames": ["b"]}),
        '"secretOutputNames" names "b", which stack organization/network-iam/dev does not export',
        id="unknown-secret-name",
    ),
    pytest.param(
        json.dumps({"stack": NETWORK, "outputs": {"a": 1}, "secretOutputNames": "a"}),
        '"secretOutputNames" must be a list of output names',
        id="secret-names-not-list",
    ),
    pytest.param(
        json.dumps({"stack": NETWORK, "outputs": {}, "output": {}}),
        'unexpected key(s) "output"',
        id="unexpected-key",
    ),
    pytest.param(
        json.dumps({NETWORK: {"teams": {"fraud": {"token": "[secret]"}}}}),
        'teams.fraud.token is "[secret]"',
        id="exported-without-show-secrets",
    ),
    pytest.param(
        '{"stack": "' + NETWORK + '", "outputs": {"a": 1, "a": 2}}',
        'the key "a" appears twice',
        id="duplicate-key",
    ),
]


@pytest.mark.parametrize(("content", "expected"), BAD_FILES)
def test_bad_file_exits_2_naming_the_file_and_the_problem(
    content: str, expected: str, tmp_path: Path
) -> None:
    bad = tmp_path / "exports.json"
    bad.write_text(content, encoding="utf-8")
    outcome = _plan(tmp_path, *TARGETS, "--upstream-outputs", str(bad))
    assert outcome.exit_code == 2, outcome.text
    assert outcome.report["stacks"] == []  # nothing is planned against the wrong exports
    [error] = outcome.report["errors"]
    assert error["file"] == str(bad)
    assert error["key"] == "--upstream-outputs"
    assert str(bad) in error["message"]
    assert expected in error["message"]
    assert str(bad) in "".join(outcome.text.split())  # rich wraps long paths anywhere


def test_every_bad_file_is_reported_at_once(tmp_path: Path, deployed: Deployed) -> None:
    missing = tmp_path / "missing.json"
    first = _write(tmp_path / "first.json", {NETWORK: deployed.network})
    second = _write(tmp_path / "second.json", {"stack": NETWORK, "outputs": deployed.network})
    outcome = _plan(
        tmp_path,
        *TARGETS,
        *("--upstream-outputs", str(missing)),
        *("--upstream-outputs", str(first)),
        *("--upstream-outputs", str(second)),
    )
    assert outcome.exit_code == 2, outcome.text
    messages = {e["file"]: e["message"] for e in outcome.report["errors"]}
    assert set(messages) == {str(missing), str(second)}
    assert "file not found" in messages[str(missing)]
    assert f"also given by {first}" in messages[str(second)]


def test_selecting_a_stack_given_by_file_is_refused(tmp_path: Path, deployed: Deployed) -> None:
    exports = _write(tmp_path / "network.json", {NETWORK: deployed.network})
    outcome = _plan(tmp_path, "--stack", "network-iam/dev", "--upstream-outputs", str(exports))
    assert outcome.exit_code == 2, outcome.text
    [error] = outcome.report["errors"]
    assert error["key"] == "--stack"
    assert str(exports) in error["message"]
    assert all(s["project"] != "network-iam" for s in outcome.report["stacks"])


def test_raw_stack_output_that_is_not_an_object_exits_2_naming_the_file(tmp_path: Path) -> None:
    bad = _write(tmp_path / "network.json", ["not", "outputs"])
    outcome = _plan(tmp_path, *TARGETS, "--upstream-outputs", f"{NETWORK}={bad}")
    assert outcome.exit_code == 2, outcome.text
    assert str(bad) in "".join(outcome.text.split()) or any(
        str(bad) in error["message"] for error in outcome.report["errors"]
    )
