"""The pack launched exactly as the Pulumi CLI launches it, spoken to over its gRPC protocol.

`python -u -m pulumi.policy <engine-address> <pack-dir>` with cwd = the pack folder and the stack's
identity in the environment; the port comes from the first stdout line. The client
(tools/offline_plan/policy_client.py) is the one the offline planner uses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import policy_cases
import policy_fixtures as fixtures
import pytest
from offline_plan.policy_client import (
    AnalyzerResourceView,
    LaunchedPolicyPack,
    diagnostics_as_dicts,
)
from offline_plan.policy_config import (
    describe_policies,
    initial_config,
    load_policy_pack_config,
    reconcile,
)
from policy_harness import UNKNOWN
from retraining_policies.catalogue import PACK_NAME, POLICIES

PACK_DIR = Path(__file__).resolve().parents[2] / "policy"
EXAMPLE_CONFIG = PACK_DIR / "policy-config.example.json"


@pytest.fixture(scope="module")
def pack() -> Iterator[LaunchedPolicyPack]:
    launched = LaunchedPolicyPack.start(
        PACK_DIR,
        project="retraining",
        stack="dev",
        config={"aws:region": "us-east-1", "retraining:team": "fraud"},
    )
    try:
        launched.wait_ready()
        launched.handshake()  # False when unimplemented: the CLI tolerates that
        launched.configure_stack(organization="organization", project="retraining", stack="dev")
        launched.get_plugin_info()
        info = launched.get_analyzer_info()
        settings = reconcile(
            describe_policies(info), initial_config(info), load_policy_pack_config(EXAMPLE_CONFIG)
        )
        launched.configure(settings)
        yield launched
    finally:
        launched.close()


def _analyze(
    pack: LaunchedPolicyPack, resource: fixtures.FixtureResource
) -> list[dict[str, object]]:
    response = pack.analyze(resource.type, resource.props, urn=resource.urn, name=resource.name)
    return diagnostics_as_dicts(response)


def _stack(
    pack: LaunchedPolicyPack, resources: list[fixtures.FixtureResource]
) -> list[dict[str, object]]:
    views = [
        AnalyzerResourceView(
            r.type, r.urn, r.name, r.props, property_dependencies=r.property_dependencies
        )
        for r in resources
    ]
    return diagnostics_as_dicts(pack.analyze_stack(views))


def test_the_pack_starts_like_the_cli_runs_it(pack: LaunchedPolicyPack) -> None:
    assert pack.process.poll() is None
    assert pack.process.args[1:4] == ["-u", "-m", "pulumi.policy"]


def test_analyzer_info_carries_the_catalogue(pack: LaunchedPolicyPack) -> None:
    info = pack.get_analyzer_info()
    assert info.name == PACK_NAME
    assert [policy.name for policy in info.policies] == [policy.name for policy in POLICIES]
    for policy in info.policies:
        assert policy.description
        assert policy.remediation_steps
        assert "exemptions" in policy.configSchema.properties


@pytest.mark.parametrize("stack", sorted(fixtures.STACKS))
def test_compliant_stacks_over_grpc(pack: LaunchedPolicyPack, stack: str) -> None:
    resources = fixtures.STACKS[stack]()
    diagnostics = [d for r in resources for d in _analyze(pack, r)] + _stack(pack, resources)
    assert diagnostics == []


def test_violations_name_the_field_over_grpc(pack: LaunchedPolicyPack) -> None:
    rule = fixtures.FixtureResource(
        fixtures.EVENT_RULE,
        "bad",
        {"scheduleExpression": "cron(0 6 * * * *)", "tags": fixtures.TAGS},
    )
    (diagnostic,) = _analyze(pack, rule)
    assert diagnostic["policyName"] == "schedule-expression-valid"
    assert diagnostic["enforcementLevel"] == "mandatory"
    assert "exactly one of day-of-month and day-of-week must be '?'" in str(diagnostic["message"])
    assert diagnostic.get("urn", "") == ""  # the engine attaches resource findings to the resource


def test_unknown_values_block_over_grpc(pack: LaunchedPolicyPack) -> None:
    rule = fixtures.FixtureResource(
        fixtures.EVENT_RULE, "later", {"scheduleExpression": UNKNOWN, "tags": fixtures.TAGS}
    )
    diagnostics = _analyze(pack, rule)
    assert {d["enforcementLevel"] for d in diagnostics} == {"mandatory"}
    assert all("cannot verify" in str(d["message"]) for d in diagnostics)
    assert not any("can't run policy" in str(d["message"]) for d in diagnostics)


def test_tag_exemption_over_grpc(pack: LaunchedPolicyPack) -> None:
    expires = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)).isoformat()
    tags = {**fixtures.TAGS, "policy-exemption:log-retention": f"{expires}:legacy group, RET-142"}
    group = fixtures.FixtureResource(
        fixtures.LOG_GROUP, "/aws/lambda/legacy", {"name": "/aws/lambda/legacy", "tags": tags}
    )
    diagnostics = _analyze(pack, group)
    assert [(d["policyName"], d["enforcementLevel"]) for d in diagnostics] == [
        ("policy-exemptions-report", "advisory")
    ]
    assert f"until {expires}" in str(diagnostics[0]["message"])


def test_corpus_over_grpc_is_caught(pack: LaunchedPolicyPack) -> None:
    for variant in policy_cases.CORPUS[::4]:
        resources = variant.mutate(fixtures.STACKS[variant.stack]())
        diagnostics = [d for r in resources for d in _analyze(pack, r)] + _stack(pack, resources)
        assert any(d["policyName"] == variant.policy for d in diagnostics), variant.name
