"""
Fixtures of the experiments' tests: a throw-away PostgreSQL server.

`postgresql_url` starts a PostgreSQL cluster for the session: ``initdb`` into
a temporary folder and ``pg_ctl start`` on a free port of 127.0.0.1 (its
socket in that folder), run as an unprivileged user when the tests run as
root (PostgreSQL refuses root), stopped and deleted at the end. Where no
server can be started, the tests that use it are skipped with the reason; in
CI (the ``CI`` environment variable set, as ``.ci/run`` runs) they fail
instead, so that CI cannot skip them silently.
"""

import os
import pathlib
import pwd
import shutil
import socket
import subprocess
import tempfile

import pytest

UNPRIVILEGED = ("postgres", "nobody")


def _pg_bindir():
    """The folder of initdb and pg_ctl, or None."""
    if shutil.which("pg_config"):
        out = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=False
        )
        path = pathlib.Path(out.stdout.strip())
        if (path / "initdb").exists():
            return path
    if shutil.which("initdb"):
        return pathlib.Path(shutil.which("initdb")).parent
    versions = sorted(pathlib.Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return versions[-1].parent if versions else None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _unavailable(reason):
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL test server: {reason} (CI must run this test)")
    pytest.skip(f"no PostgreSQL test server: {reason}")


@pytest.fixture(scope="session")
def postgresql_url():
    """URL of a PostgreSQL database on a server started for this session."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed (pip install 'psycopg[binary]')")
    bindir = _pg_bindir()
    if bindir is None:
        _unavailable("initdb not found (pg_config --bindir, PATH, /usr/lib/postgresql)")
    prefix = []
    user = None
    if os.geteuid() == 0:
        for name in UNPRIVILEGED:
            try:
                user = pwd.getpwnam(name)
                break
            except KeyError:
                continue
        if user is None or not shutil.which("runuser"):
            _unavailable(f"running as root, and no user {UNPRIVILEGED} or no runuser")
        prefix = ["runuser", "-u", user.pw_name, "--"]

    top = pathlib.Path(tempfile.mkdtemp(prefix="nengo-hpes-pg-"))
    if user is not None:
        os.chown(top, user.pw_uid, user.pw_gid)
    data = top / "data"
    port = _free_port()
    log = top / "server.log"

    def run(*cmd):
        return subprocess.run(
            prefix + [str(c) for c in cmd],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    started = False
    try:
        out = run(bindir / "initdb", "-D", data, "-U", "postgres", "-A", "trust")
        if out.returncode != 0:
            _unavailable(f"initdb failed: {out.stderr.strip()[-500:]}")
        options = f"-h 127.0.0.1 -p {port} -k {top} -c fsync=off"
        out = run(
            bindir / "pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "start"
        )
        if out.returncode != 0:
            text = log.read_text() if log.exists() else out.stderr
            _unavailable(f"pg_ctl start failed: {text.strip()[-500:]}")
        started = True
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        if started:
            run(bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(top, ignore_errors=True)
