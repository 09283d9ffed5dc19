"""`python -m tiktok_api.simulator --port 8765`: serve the simulator and print its demo credentials."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime

import uvicorn

from tiktok_api import contract
from tiktok_api.simulator.app import Simulator
from tiktok_api.simulator.faults import RATE_NAMES, FaultConfig


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tiktok_api.simulator", description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--accounts", type=int, default=4, help="number of demo accounts (at least 1)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--now", help="simulated now, ISO-8601 UTC (default: the real time)")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
    parser.add_argument(
        "--faults",
        default=os.environ.get("TIKTOK_SIMULATOR_FAULTS", ""),
        help="fault spec, as TIKTOK_SIMULATOR_FAULTS (default: that variable)",
    )
    for name in RATE_NAMES:
        parser.add_argument(f"--{name.replace('_', '-')}", type=float, help=f"rate of {name} faults (0-1)")
    args = parser.parse_args(argv)
    if args.accounts < 1:
        parser.error("--accounts must be at least 1")
    return args


def build(args: argparse.Namespace) -> Simulator:
    faults = FaultConfig.parse(args.faults)
    for name in RATE_NAMES:
        if getattr(args, name) is not None:
            setattr(faults, name, getattr(args, name))
    now = datetime.fromisoformat(args.now.replace("Z", "+00:00")).timestamp() if args.now else None
    return Simulator(seed=args.seed, accounts=args.accounts, faults=faults, now=now, speed=args.speed)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        simulator = build(args)
    except ValueError as error:
        sys.exit(str(error))
    base_url = f"http://{args.host}:{args.port}{contract.API_PREFIX}"
    print(json.dumps({"base_url": base_url, "client_id": simulator.client_id,
                      "client_secret": simulator.client_secret}), flush=True)  # fmt: skip
    for account in simulator.world.accounts:
        access, refresh = simulator.current_tokens[account.business_id]
        print(json.dumps({"open_id": account.business_id, "username": account.username,
                          "is_business_account": account.is_business,
                          "access_token": access, "refresh_token": refresh}), flush=True)  # fmt: skip
    uvicorn.run(simulator.app, host=args.host, port=args.port, log_level="warning", lifespan="off")


if __name__ == "__main__":
    main()
