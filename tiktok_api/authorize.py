"""`python -m tiktok_api.authorize --auth-code CODE --redirect-uri URI`: add an account to the token store.

The account owner consents in TikTok's authorisation page, which redirects to your redirect URI with a
one-time `auth_code` (valid 10 minutes). This exchanges it for tokens and stores them (0600 file).
Reads TIKTOK_CLIENT_ID, TIKTOK_CLIENT_SECRET, TIKTOK_API_BASE_URL and TIKTOK_TOKEN_STORE.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tiktok_api import contract
from tiktok_api.client import TikTokClient
from tiktok_api.errors import TikTokError
from tiktok_api.secrets import Secret
from tiktok_api.tokens import FileTokenStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tiktok_api.authorize", description=__doc__)
    parser.add_argument("--auth-code", required=True)
    parser.add_argument("--redirect-uri", required=True)
    args = parser.parse_args(argv)
    client_id, client_secret = os.environ.get("TIKTOK_CLIENT_ID"), os.environ.get("TIKTOK_CLIENT_SECRET")
    if not client_id or not client_secret:
        print("Set TIKTOK_CLIENT_ID and TIKTOK_CLIENT_SECRET first.", file=sys.stderr)
        return 2
    data_dir = Path(os.environ.get("TIKTOK_DATA_DIR") or "data")
    store = FileTokenStore(Path(os.environ.get("TIKTOK_TOKEN_STORE") or data_dir / "secrets" / "tokens.json"))
    base_url = os.environ.get("TIKTOK_API_BASE_URL") or contract.REAL_BASE_URL
    with TikTokClient(base_url, store, client_id=client_id, client_secret=Secret(client_secret)) as client:
        try:
            tokens = client.exchange_auth_code(args.auth_code, args.redirect_uri)
        except TikTokError as error:
            print(f"Could not authorise: {error}", file=sys.stderr)
            return 1
    print(f"Authorised account {tokens.business_id} (scopes: {tokens.scope}); tokens stored in {store.path}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
