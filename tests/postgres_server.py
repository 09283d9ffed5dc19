"""A throwaway PostgreSQL server for the tests: its own cluster in a temporary folder, on a free port.

The suite never touches a cluster it did not create. When TIKTOK_TEST_POSTGRES_URL is set (a superuser URL,
e.g. postgresql://postgres:pw@127.0.0.1:5432/postgres), that server is used instead of starting one.
Where no server can be started, the PostgreSQL tests skip with the reason, unless TIKTOK_REQUIRE_POSTGRES=1
(as .ci/run sets), which turns the skip into a failure: in CI they must run.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
from sqlalchemy.engine import URL, make_url


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be started here (the reason is the message)."""


def _bin_dir() -> Path:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise PostgresUnavailable("no PostgreSQL server binaries (initdb) under /usr/lib/postgresql or on PATH")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    """A running server: `url` is a superuser URL (password included in the object, masked when printed)."""

    url: URL
    folder: Path | None = None
    _run_as: list[str] = field(default_factory=list)
    _bin: Path | None = None

    def create_database(self, name: str) -> URL:
        """A fresh, empty database (dropped first if it exists); its URL."""
        connection = psycopg2.connect(**self.connect_args())
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f'drop database if exists "{name}" with (force)')
                cursor.execute(f"create database \"{name}\" encoding 'UTF8' template template0")
        finally:
            connection.close()
        return self.url.set(database=name)

    def connect_args(self, url: URL | None = None) -> dict[str, object]:
        url = url or self.url
        return {
            "host": url.host,
            "port": url.port,
            "user": url.username,
            "password": url.password,
            "dbname": url.database,
        }

    def stop(self) -> None:
        if self.folder is None or self._bin is None:
            return
        subprocess.run(
            [*self._run_as, str(self._bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def _run_as_prefix() -> list[str]:
    """initdb refuses root: as root, the cluster belongs to the `postgres` system user."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable("running as root and there is no `postgres` user to own a cluster") from None
    runuser = shutil.which("runuser")
    if runuser is None:
        raise PostgresUnavailable("running as root without `runuser` to start PostgreSQL as `postgres`")
    return [runuser, "-u", "postgres", "--"]


def start_server() -> PostgresServer:
    """The server named by TIKTOK_TEST_POSTGRES_URL, else a throwaway cluster started here."""
    given = os.environ.get("TIKTOK_TEST_POSTGRES_URL")
    if given:
        return PostgresServer(url=make_url(given))
    bin_dir = _bin_dir()
    run_as = _run_as_prefix()
    folder = Path(tempfile.mkdtemp(prefix="tiktok-pg-"))
    password = secrets.token_urlsafe(18)
    port = _free_port()
    try:
        if run_as:
            pw = pwd.getpwnam("postgres")
            os.chown(folder, pw.pw_uid, pw.pw_gid)
        (folder / "pwfile").write_text(password + "\n")
        if run_as:
            os.chown(folder / "pwfile", pwd.getpwnam("postgres").pw_uid, -1)
        result = subprocess.run(
            [
                *run_as,
                str(bin_dir / "initdb"),
                "-D",
                str(folder / "data"),
                "-U",
                "postgres",
                "--pwfile",
                str(folder / "pwfile"),
                "--auth",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--locale",
                "C.UTF-8",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        (folder / "pwfile").unlink()
        if result.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {result.stderr.strip()[-500:]}")
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
        result = subprocess.run(
            [*run_as, str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "server.log"),
             "-o", options, "-w", "-t", "60", "start"],
            capture_output=True,
            text=True,
            check=False,
        )  # fmt: skip
        if result.returncode != 0:
            log = (folder / "server.log").read_text() if (folder / "server.log").exists() else ""
            raise PostgresUnavailable(f"pg_ctl start failed: {result.stderr.strip()[-300:]} {log[-500:]}")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    server = PostgresServer(
        url=URL.create(
            "postgresql+psycopg2", username="postgres", password=password, host="127.0.0.1", port=port,
            database="postgres",
        ),
        folder=folder,
        _run_as=run_as,
        _bin=bin_dir,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            psycopg2.connect(**server.connect_args(), connect_timeout=2).close()
            return server
        except psycopg2.OperationalError as error:
            if time.monotonic() > deadline:
                server.stop()
                raise PostgresUnavailable(f"the server started but refuses connections: {error}") from None
            time.sleep(0.2)


def warehouse_env(url: URL) -> dict[str, str]:
    """The environment that points the platform (and dbt) at the PostgreSQL database of `url`."""
    return {
        "TIKTOK_WAREHOUSE": "postgres",
        "TIKTOK_POSTGRES_HOST": str(url.host),
        "TIKTOK_POSTGRES_PORT": str(url.port),
        "TIKTOK_POSTGRES_USER": str(url.username),
        "TIKTOK_POSTGRES_PASSWORD": str(url.password or ""),
        "TIKTOK_POSTGRES_DATABASE": str(url.database),
    }
