"""How the assets present themselves in the Dagster UI: who owns them, and links a browser can open.

- TIKTOK_ASSET_OWNER: the owners of every asset, comma-separated; each a Dagster owner, `team:<name>` or an email
  address (a bare name is read as a team). Default `team:data`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from expectations.rules import runbook_url
from tiktok_api.settings import REPO_ROOT

OWNER_VARIABLE = "TIKTOK_ASSET_OWNER"
DEFAULT_OWNER = "team:data"


def asset_owners(environ: Mapping[str, str] | None = None) -> list[str]:
    """The owners TIKTOK_ASSET_OWNER names (default team:data); a wrong one raises ValueError naming the variable."""
    env = os.environ if environ is None else environ
    owners = []
    for raw in (env.get(OWNER_VARIABLE) or DEFAULT_OWNER).split(","):
        owner = raw.strip()
        if not owner:
            continue
        if "@" not in owner and not owner.startswith("team:"):
            owner = f"team:{owner}"  # Dagster's owners are emails or teams; a bare name means a team
        try:
            dg.AssetSpec("owner_check", owners=[owner])  # Dagster's own rule, which it applies when loading
        except dg.DagsterInvalidDefinitionError:
            raise ValueError(
                f"{OWNER_VARIABLE}={raw.strip()!r} is not an owner: use team:<name> or an email address"
            ) from None
        owners.append(owner)
    return owners or [DEFAULT_OWNER]


def __getattr__(name: str) -> list[str]:
    """ASSET_OWNERS, read when an asset module imports it (so a wrong value fails the code location's load, naming
    the variable), not when the preflight imports this module to check that value."""
    if name == "ASSET_OWNERS":
        return asset_owners()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def file_link(path: str | Path) -> dg.MetadataValue:
    """A local file a browser renders (an HTML page): its file:// URL, shown as a link in the UI."""
    return dg.MetadataValue.url(Path(path).resolve().as_uri())


def runbook_link(rule_id: str) -> dg.MetadataValue:
    """A rule's section of docs/runbook.md in this checkout, as a file:// URL with the section's anchor."""
    page, _, anchor = runbook_url(rule_id).partition("#")
    return dg.MetadataValue.url(f"{(REPO_ROOT / page).as_uri()}#{anchor}")
