"""Serve the simulator over real loopback HTTP, in a background thread (tests, the demo, Dagster runs)."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from tiktok_api import contract
from tiktok_api.simulator.app import Simulator


class SimulatorServer:
    """`with SimulatorServer(Simulator(...)) as server:` serves on 127.0.0.1 at a free port."""

    def __init__(self, simulator: Simulator, port: int = 0, host: str = "127.0.0.1"):
        self.simulator = simulator
        self.host = host
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.port = self._socket.getsockname()[1]
        config = uvicorn.Config(
            simulator.app, log_level="warning", access_log=False, lifespan="off", timeout_keep_alive=30
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What the client takes as its base URL (the simulator's stand-in for business-api.tiktok.com)."""
        return self.url + contract.API_PREFIX

    def start(self) -> SimulatorServer:
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="tiktok-simulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the TikTok simulator did not start within 10 seconds")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
