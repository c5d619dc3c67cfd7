"""What every benchmark here needs: progress lines, free ports, an app server in a process
of its own, CPU time of processes, percentiles and table cells."""

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def uvicorn_server(
    options: Sequence[str],
    *,
    env: dict[str, str],
    cwd: Path,
    log_path: Path,
    factory: str = "shoptide.app:create_app",
) -> AsyncIterator[tuple[str, int]]:
    """`uvicorn --factory` with one worker on a free port, in a process of its own; yields
    (host:port, pid) once /api/v1/markets answers, then stops it (SIGINT; killed after
    20 s)."""
    port = free_port()
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "uvicorn", "--factory", factory,
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--no-access-log",
            *options,
            cwd=cwd, env=env, stdout=log, stderr=log,
        )  # fmt: skip
    address = f"127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                if proc.returncode is not None:
                    raise RuntimeError(f"server exited with {proc.returncode}; see {log_path}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"http://{address}/api/v1/markets")).is_success:
                        break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"server did not answer in 30 s; see {log_path}")
        yield address, proc.pid
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; 0 once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def fmt(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
