"""ffprobe and ffmpeg for short videos: read an upload, make HLS renditions and a poster.

Both run as asyncio subprocesses, never on the event loop's thread. Nothing here touches
the database; callers get values back, a progress callback, or an exception.
"""

import asyncio
import contextlib
import json
import mimetypes
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from shoptide.errors import InvalidInput

log = structlog.get_logger(__name__)

MAX_DURATION_S = 600  # short videos: ten minutes at most
PROBE_TIMEOUT_S = 30
SEGMENT_SECONDS = 2  # each segment starts on a keyframe: keyframes every 2 s exactly
LADDER = (720, 360)  # short side of each rendition, largest first; orientation is kept
KBPS_CAP = {720: 2500, 360: 800}  # rendition's peak video bitrate; smaller rungs get 360's
MASTER_PLAYLIST = "master.m3u8"

UNREADABLE = "This file isn't a video we can read. Upload an MP4 or MOV file."
DAMAGED = (
    "We couldn't convert this video: the file looks damaged or incomplete. "
    "Export it again from your editing app and upload the new file."
)


class TranscodeFailed(Exception):
    """ffmpeg could not make the renditions; `args[0]` is a sentence for the merchant."""


def register_types() -> None:
    """HLS types for the /media files (Debian's mime.types maps .ts to a Qt format)."""
    mimetypes.add_type("application/vnd.apple.mpegurl", ".m3u8")
    mimetypes.add_type("video/mp2t", ".ts")


@dataclass(frozen=True)
class Probe:
    """What a readable upload holds; width and height as shown (rotation applied)."""

    width: int
    height: int
    duration_ms: int
    has_audio: bool


@dataclass(frozen=True)
class Rendition:
    width: int
    height: int
    max_kbps: int


async def _run(*args: str, timeout_s: float) -> tuple[int, bytes, bytes]:
    process = await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout_s)
    except BaseException:  # a timeout or a cancelled job: leave no ffmpeg behind
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise
    return process.returncode or 0, out, err


def _rotation(stream: dict[str, Any]) -> int:
    for side_data in stream.get("side_data_list", []):
        if "rotation" in side_data:
            return int(side_data["rotation"])
    return int(stream.get("tags", {}).get("rotate", 0))


def _probe_of(report: dict[str, Any]) -> Probe:
    """The upload's facts from ffprobe's JSON, or InvalidInput saying what is wrong."""
    streams = report.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    audio = any(s.get("codec_type") == "audio" for s in streams)
    container = report.get("format", {})
    if not {"mov", "mp4"} & set(container.get("format_name", "").split(",")):
        raise InvalidInput(UNREADABLE)
    if video is None or not video.get("width") or not video.get("height"):
        raise InvalidInput("This file has no picture in it. Upload an MP4 or MOV video.")
    try:
        duration_s = float(container.get("duration") or video.get("duration") or 0)
    except ValueError:
        duration_s = 0
    if duration_s <= 0:
        raise InvalidInput("We couldn't tell how long this video is. Export it again as MP4.")
    if duration_s > MAX_DURATION_S:
        minutes, seconds = divmod(round(duration_s), 60)
        raise InvalidInput(
            f"Videos can be at most {MAX_DURATION_S // 60} minutes long; "
            f"this one is {minutes} min {seconds} s."
        )
    width, height = int(video["width"]), int(video["height"])
    if _rotation(video) % 180:  # phones store portrait clips as rotated landscape
        width, height = height, width
    return Probe(width, height, round(duration_s * 1000), audio)


async def probe(path: Path) -> Probe:
    """Read the upload with ffprobe; InvalidInput when it isn't a usable MP4/MOV video."""
    try:
        code, out, _ = await _run(
            "ffprobe",
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            str(path),
            timeout_s=PROBE_TIMEOUT_S,
        )
    except TimeoutError:
        raise InvalidInput(UNREADABLE) from None
    if code != 0:
        raise InvalidInput(UNREADABLE)
    return _probe_of(json.loads(out or b"{}"))


def _even(n: float) -> int:
    return max(2, round(n / 2) * 2)


def ladder(source: Probe) -> list[Rendition]:
    """The source's size capped at 720 on the short side, then 360 below it: never upscaled,
    portrait stays portrait."""
    short, long = sorted((source.width, source.height))
    top = min(LADDER[0], _even(short))
    rungs = [top, *(rung for rung in LADDER if rung < top)]
    renditions = []
    for rung in rungs:
        other = _even(long * rung / short)
        width, height = (rung, other) if source.width <= source.height else (other, rung)
        renditions.append(Rendition(width, height, KBPS_CAP.get(rung, KBPS_CAP[360])))
    return renditions


def _hls_command(
    source: Path, out_dir: Path, probe: Probe, renditions: list[Rendition]
) -> list[str]:
    n = len(renditions)
    scales = "".join(f"[v{i}]scale={r.width}:{r.height}[o{i}];" for i, r in enumerate(renditions))
    graph = f"[0:v]split={n}{''.join(f'[v{i}]' for i in range(n))};{scales}".rstrip(";")
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-progress", "pipe:1", "-nostats"]
    command += ["-i", str(source), "-filter_complex", graph]
    for i, rendition in enumerate(renditions):
        command += ["-map", f"[o{i}]"]
        if probe.has_audio:
            command += ["-map", "0:a:0"]
        command += [
            f"-maxrate:v:{i}",
            f"{rendition.max_kbps}k",
            f"-bufsize:v:{i}",
            f"{rendition.max_kbps * 2}k",
        ]
    command += ["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main"]
    command += ["-pix_fmt", "yuv420p", "-crf", "23", "-sc_threshold", "0"]
    command += ["-force_key_frames", f"expr:gte(t,n_forced*{SEGMENT_SECONDS})"]
    if probe.has_audio:
        command += ["-c:a", "aac", "-b:a", "128k", "-ac", "2"]
    streams = " ".join(f"v:{i},a:{i}" if probe.has_audio else f"v:{i}" for i in range(n))
    command += ["-f", "hls", "-hls_time", str(SEGMENT_SECONDS), "-hls_playlist_type", "vod"]
    command += ["-hls_flags", "independent_segments"]
    command += ["-hls_segment_filename", str(out_dir / "%v" / "seg_%03d.ts")]
    command += ["-master_pl_name", MASTER_PLAYLIST, "-var_stream_map", streams]
    command.append(str(out_dir / "%v" / "index.m3u8"))
    return command


Progress = Callable[[int], Awaitable[None]]


async def _follow_progress(
    stream: asyncio.StreamReader, duration_ms: int, report: Progress
) -> None:
    """ffmpeg's `-progress` lines: report each new whole percent of the duration done."""
    last = -1
    async for raw in stream:
        key, _, value = raw.decode(errors="replace").strip().partition("=")
        if key != "out_time_us" or not value.isdigit():
            continue
        percent = min(99, int(value) // (10 * max(duration_ms, 1)))  # µs of ms, in %
        if percent > last:
            last = percent
            await report(percent)


async def transcode(
    source: Path, out_dir: Path, probe: Probe, *, report: Progress, timeout_s: float
) -> list[Rendition]:
    """HLS renditions of `source` under `out_dir` with a master playlist; TranscodeFailed
    with a sentence for the merchant when ffmpeg fails or runs past `timeout_s`."""
    renditions = ladder(probe)
    process = await asyncio.create_subprocess_exec(
        *_hls_command(source, out_dir, probe, renditions),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    # stderr is read alongside stdout so a chatty ffmpeg never blocks on a full pipe
    errors = asyncio.ensure_future(process.stderr.read())
    try:
        async with asyncio.timeout(timeout_s):
            await _follow_progress(process.stdout, probe.duration_ms, report)
            code = await process.wait()
    except TimeoutError:
        raise TranscodeFailed(
            "Processing took too long and was stopped. Try a shorter or smaller video."
        ) from None
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        stderr = await errors
    if code != 0 or not (out_dir / MASTER_PLAYLIST).exists():
        log.warning("ffmpeg failed", code=code, stderr=stderr.decode(errors="replace")[-2000:])
        raise TranscodeFailed(DAMAGED)
    return renditions


async def poster(source: Path, target: Path, probe: Probe, size: Rendition) -> None:
    """A JPEG still from about a second in (the middle of shorter clips)."""
    at = min(1.0, probe.duration_ms / 2000)
    code, _, err = await _run(
        "ffmpeg",
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-ss",
        f"{at:.3f}",
        "-i",
        str(source),
        "-frames:v",
        "1",
        "-vf",
        f"scale={size.width}:{size.height}",
        "-q:v",
        "3",
        str(target),
        timeout_s=PROBE_TIMEOUT_S,
    )
    if code != 0:
        log.warning("poster failed", code=code, stderr=err.decode(errors="replace")[-2000:])
        raise TranscodeFailed(DAMAGED)
