"""CrossGuard entry point: constructing PolicyPack serves forever, so nothing else lives here."""

from pulumi_policy import EnforcementLevel, PolicyPack
from retraining_policies import analyzer_servicer
from retraining_policies.catalogue import PACK_DESCRIPTION, PACK_DISPLAY_NAME, PACK_NAME, POLICIES

# Each resource deserialized once per request instead of once per policy (why, and the test that
# keeps it equal to the SDK's own servicer: retraining_policies/analyzer_servicer.py).
analyzer_servicer.install()

PolicyPack(
    name=PACK_NAME,
    policies=[*POLICIES],  # a fresh list typed as the SDK expects (list is invariant)
    enforcement_level=EnforcementLevel.MANDATORY,
    description=PACK_DESCRIPTION,
    display_name=PACK_DISPLAY_NAME,
    provider="aws",
    tags=["aws", "sagemaker", "eventbridge", "least-privilege"],
)
