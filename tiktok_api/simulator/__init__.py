"""A contract-faithful simulator of the TikTok Accounts API: a real HTTP server for tests and the demo."""

from tiktok_api.simulator.app import Simulator
from tiktok_api.simulator.faults import FaultConfig
from tiktok_api.simulator.server import SimulatorServer

__all__ = ["FaultConfig", "Simulator", "SimulatorServer"]
