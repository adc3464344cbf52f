"""What the benchmarks share: free ports, a studio server in a subprocess, production
settings for it, a lean HTTP client to load it with, percentiles."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
KEY = "benchmark-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(data_dir: str) -> dict[str, str]:
    """Settings as a studio serving real work runs with, on plain-HTTP loopback.

    DEBUG off: with it on, Django logs every SQL query and, on SQLite, re-runs each
    query's parameters through `SELECT QUOTE(...)`, which would be measured as the
    studio's own cost. The keys are fresh on every call: one run builds its env once and
    gives it to the server and every child (the children encrypt the provider
    connection's API key with STUDIO_ENCRYPTION_KEY, which the server must decrypt).
    """
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "STUDIO_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Pages use the manifest storage: a child runs collectstatic into it.
        "STATIC_ROOT": str(Path(data_dir) / "static"),
        # Loopback is plain HTTP: no redirect to HTTPS, and cookies a browser would keep
        # over it (a Secure session cookie is never sent back, so logins would fail).
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        # The built-in simulator is the provider every benchmark drives; it is off by
        # default with DEBUG off.
        "STUDIO_SIMULATOR": "on",
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else 0.0


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """The studio under uvicorn on a loopback port, once its simulator answers."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "studio.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--lifespan",
        "on",
        "--no-access-log",
        "--ws-per-message-deflate",
        "false",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    url = f"http://127.0.0.1:{port}/simulator/ent/v2/credits"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the studio exited during start-up")
        try:
            if httpx.get(url, headers={"Authorization": f"Token {KEY}"}, timeout=1).is_success:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop(process)
    raise RuntimeError("the studio did not start in time")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def memory_kib(pid: int) -> dict[str, int]:
    """The process's resident memory now (VmRSS) and at its peak (VmHWM), in KiB."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            figures[name] = int(value.split()[0])
    return figures


def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far, all threads, user plus system (/proc/<pid>/stat)."""
    # Fields after the command name, which may hold spaces: utime and stime are 14 and 15.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_child(script: str, env: dict[str, str], command: str, *args: str) -> Any:
    """Run `script --child command args` (Django set up on the benchmark's own folder)
    and return the JSON its last line prints."""
    done = subprocess.run(
        [sys.executable, script, "--child", command, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode:
        raise RuntimeError(f"child {command} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- a lean HTTP/1.1 client for loopback load -------------------------------------------------


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]  # names lower-cased, in the order received
    body: bytes

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name.lower()), None)

    def header_all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name.lower()]

    @property
    def text(self) -> str:
        return self.body.decode()


def build_request(
    port: int,
    method: str,
    target: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
) -> bytes:
    """One HTTP/1.1 request as bytes; `target` is a path or a full loopback URL."""
    url = urlsplit(target)
    path = url.path + (f"?{url.query}" if url.query else "")
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body or method != "GET":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class LoopbackClient:
    """HTTP/1.1 to the studio on 127.0.0.1:port, one keep-alive connection, one request
    at a time, with a cookie jar.

    It exists because the load generator shares the machine with the server it
    measures: on two cores httpx.AsyncClient spends about 7 ms of CPU per request, taken
    from the server, so the figures were the client's limit. This costs a small fraction
    of that: requests are bytes (build them up front with `build_request` and `send`
    them), and responses are read just enough for a benchmark, to the last byte of the
    body (Content-Length, chunked, or until the server closes).

    A connection the server closed (`Connection: close`, or EOF before a status line on
    a reused connection) is reopened transparently. Every failure is an OSError:
    TimeoutError after `timeout` seconds, ConnectionError for a broken exchange.
    """

    def __init__(self, port: int, *, timeout: float = 30.0) -> None:
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> LoopbackClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def request(
        self,
        method: str,
        target: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> Response:
        """A request built now, with the jar's cookies."""
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return await self.send(build_request(self.port, method, target, headers=headers, body=body))

    async def send(self, raw: bytes) -> Response:
        """Send a request already built, and read its whole response."""
        try:
            async with asyncio.timeout(self.timeout):
                response = await self._exchange(raw)
        except TimeoutError:
            self._disconnect()
            request_line = raw.split(b"\r\n", 1)[0].decode("latin-1")
            raise TimeoutError(f"no answer to {request_line} within {self.timeout:g} s") from None
        except BaseException:
            # Whatever is left on the connection belongs to no one: start the next afresh.
            self._disconnect()
            raise
        for cookie in response.header_all("set-cookie"):
            self._keep(cookie)
        if (response.header("connection") or "").lower() == "close":
            self._disconnect()
        return response

    async def close(self) -> None:
        if self._writer is not None:
            writer = self._writer
            self._disconnect()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _exchange(self, raw: bytes) -> Response:
        while True:
            reused = self._writer is not None
            if not reused:
                self._reader, self._writer = await asyncio.open_connection("127.0.0.1", self.port)
            assert self._reader is not None and self._writer is not None
            try:
                self._writer.write(raw)
                await self._writer.drain()
                head = await self._reader.readuntil(b"\r\n\r\n")
                break
            except (asyncio.IncompleteReadError, ConnectionError) as error:
                self._disconnect()
                # A kept-alive connection the server had closed: it read nothing of the
                # request, so sending it again on a new connection is safe.
                if reused and not getattr(error, "partial", b""):
                    continue
                raise ConnectionError("the server closed the connection unanswered") from error
        status_line, *lines = head[:-4].decode("latin-1").split("\r\n")
        version, _, rest = status_line.partition(" ")
        if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
            raise ConnectionError(f"not an HTTP/1.x status line: {status_line!r}")
        headers = [
            (name.strip().lower(), value.strip())
            for name, _, value in (line.partition(":") for line in lines)
        ]
        response = Response(status=int(rest[:3]), headers=headers, body=b"")
        if response.status < 200 or response.status in (204, 304):
            return response
        try:
            if "chunked" in (response.header("transfer-encoding") or "").lower():
                response.body = await self._read_chunks()
            elif (length := response.header("content-length")) is not None:
                response.body = await self._reader.readexactly(int(length))
            else:
                # Neither: the body runs to the end of the connection.
                response.body = await self._reader.read()
                self._disconnect()
        except asyncio.IncompleteReadError as error:
            raise ConnectionError("the server closed the connection mid-body") from error
        return response

    async def _read_chunks(self) -> bytes:
        assert self._reader is not None
        parts = []
        while size := int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append((await self._reader.readexactly(size + 2))[:-2])
        # Trailers, if any, up to the blank line.
        while await self._reader.readuntil(b"\r\n") != b"\r\n":
            pass
        return b"".join(parts)

    def _keep(self, set_cookie: str) -> None:
        pair, *attributes = (part.strip() for part in set_cookie.split(";"))
        name, _, value = pair.partition("=")
        flags = {attribute.split("=", 1)[0].lower(): attribute for attribute in attributes}
        # As a browser would: no Secure cookie over plain HTTP, and max-age=0 deletes.
        if "secure" in flags:
            return
        if not value or flags.get("max-age", "").lower() == "max-age=0":
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value

    def _disconnect(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None
