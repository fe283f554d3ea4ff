"""The real server for tests: ``gunicorn -c gunicorn.conf.py wsgi:app`` on a free loopback
port, in a process group of its own (one ``killpg`` takes the master and every worker)."""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from points.config import ROOT

START_WITHIN = 60  # seconds gunicorn has to answer /healthz (a busy CI machine: slow imports)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """``env`` is added to this process's environment (a value of None removes the name);
    rate limits stay in memory, shared with nothing else."""

    def __init__(self, log, *, workers=2, threads=4, **env):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = {**os.environ, "SECRET_KEY": "gunicorn-test", "JIFEN_SECURE_COOKIES": "0",
                    "BIND": f"127.0.0.1:{self.port}", "GUNICORN_WORKERS": str(workers),
                    "GUNICORN_THREADS": str(threads), "GUNICORN_MAX_REQUESTS": "0", "REDIS_URL": None,
                    **env}
        self.env = {name: value for name, value in self.env.items() if value is not None}
        self.process = None

    def start(self):
        self.spawn()
        self.wait_ready()

    def spawn(self):
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self):
        deadline = time.monotonic() + START_WITHIN
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as health:
                    if health.status == 200:
                        return
            except OSError:
                pass
            assert self.process.poll() is None, self.tail()
            assert time.monotonic() < deadline, f"gunicorn did not answer:\n{self.tail()}"
            time.sleep(0.2)

    def stop(self, sig=signal.SIGTERM):
        """``sig`` to the whole group (SIGKILL: no worker finishes what it was doing)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:  # the whole group is gone already
            pass
        self.process.wait(timeout=10)

    def kill(self):
        self.stop(signal.SIGKILL)

    def tail(self):
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
