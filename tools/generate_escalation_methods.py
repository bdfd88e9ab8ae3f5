"""Write the pack's copy of Cloudsplaining's privilege-escalation methods.

`python tools/generate_escalation_methods.py` rewrites
`policy/retraining_policies/iam/escalation_methods.json` from the installed cloudsplaining
(pinned in requirements-dev.txt); `--check` exits 1 when the file differs from what it would
write (tests/policy/iam/test_escalation_methods.py runs it). The pack reads the JSON instead of
importing cloudsplaining: the pack must publish with light PyPI dependencies and start fast, and
cloudsplaining pulls in boto3, click, jinja2 and its HTML report.

Source: cloudsplaining.shared.constants.PRIVILEGE_ESCALATION_METHODS (Rhino Security Labs'
methods plus the paths catalogued by pathfinding.cloud), lower-case action names per method.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import sys
from pathlib import Path

from offline_plan.generated_files import refresh

TARGET = (
    Path(__file__).resolve().parents[1]
    / "policy"
    / "retraining_policies"
    / "iam"
    / "escalation_methods.json"
)


def render() -> str:
    from cloudsplaining.shared.constants import PRIVILEGE_ESCALATION_METHODS  # noqa: PLC0415

    version = importlib.metadata.version("cloudsplaining")
    document = {
        "source": (
            f"cloudsplaining {version}: "
            "cloudsplaining.shared.constants.PRIVILEGE_ESCALATION_METHODS"
        ),
        "generator": "tools/generate_escalation_methods.py",
        "methods": {
            name: sorted(action.lower() for action in actions)
            for name, actions in sorted(PRIVILEGE_ESCALATION_METHODS.items())
        },
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args(argv)
    text = render()
    stale = refresh(TARGET, text, check=args.check)
    if args.check:
        if stale:
            print(f"{TARGET} is stale: run python tools/generate_escalation_methods.py")
            return 1
        return 0
    methods = len(json.loads(text)["methods"])
    print(f"wrote {TARGET} ({methods} methods)" if stale else f"{TARGET} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
