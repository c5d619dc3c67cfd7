"""Product pictures drawn as small SVG files, so demo data needs no downloads.

Each picture is a flat illustration: a soft background, the product's shape (shirt, bottle,
mug, ...) in the product's colour, and its short name. The same seed draws the same picture.
"""

import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

SIZE = 600
BACKGROUNDS = ("#f4efe6", "#e9f1f7", "#f6ecef", "#eef4ea", "#f3f0fa", "#fbf3e4", "#eaf5f3")
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


def _shade(colour: str, factor: float) -> str:
    """The colour darkened (factor < 1) or lightened (factor > 1), for outlines and details."""
    channels = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    if factor < 1:
        mixed = [round(c * factor) for c in channels]
    else:
        mixed = [round(c + (255 - c) * (factor - 1)) for c in channels]
    return "#" + "".join(f"{min(255, c):02x}" for c in mixed)


# Each shape draws in a 600x600 box, centred a little above the middle to leave room
# for the caption. `c` is the fill colour, `d` a darker shade of it for outlines.


def _shirt(c: str, d: str) -> str:
    return (
        f'<path d="M210 150 L260 130 Q300 165 340 130 L390 150 L455 215 L410 258 '
        f'L385 235 L385 435 L215 435 L215 235 L190 258 L145 215 Z" fill="{c}" '
        f'stroke="{d}" stroke-width="6" stroke-linejoin="round"/>'
        f'<path d="M260 130 Q300 180 340 130" fill="none" stroke="{d}" stroke-width="6"/>'
    )


def _dress(c: str, d: str) -> str:
    return (
        f'<path d="M262 130 L338 130 L348 205 L425 435 L175 435 L252 205 Z" fill="{c}" '
        f'stroke="{d}" stroke-width="6" stroke-linejoin="round"/>'
        f'<path d="M252 205 Q300 225 348 205" fill="none" stroke="{d}" stroke-width="8"/>'
        f'<path d="M270 130 L270 100 M330 130 L330 100" stroke="{d}" stroke-width="8"/>'
    )


def _shoe(c: str, d: str) -> str:
    return (
        f'<path d="M135 365 Q145 285 200 275 L270 265 Q300 305 355 305 L435 322 '
        f'Q475 338 470 372 L470 385 L135 385 Z" fill="{c}" stroke="{d}" stroke-width="6"/>'
        f'<rect x="128" y="380" width="350" height="34" rx="14" fill="#fafafa" '
        f'stroke="{d}" stroke-width="6"/>'
        f'<path d="M285 290 L310 275 M305 300 L330 285 M325 305 L350 292" '
        f'stroke="#fafafa" stroke-width="7" stroke-linecap="round"/>'
    )


def _bag(c: str, d: str) -> str:
    return (
        f'<path d="M232 225 Q232 138 300 138 Q368 138 368 225" fill="none" stroke="{d}" '
        f'stroke-width="18"/>'
        f'<rect x="168" y="220" width="264" height="215" rx="26" fill="{c}" stroke="{d}" '
        f'stroke-width="6"/><rect x="280" y="270" width="40" height="26" rx="6" fill="{d}"/>'
    )


def _bottle(c: str, d: str) -> str:
    return (
        f'<rect x="262" y="108" width="76" height="48" rx="8" fill="{d}"/>'
        f'<rect x="274" y="150" width="52" height="55" fill="{c}" stroke="{d}" '
        f'stroke-width="6"/>'
        f'<rect x="225" y="200" width="150" height="240" rx="34" fill="{c}" stroke="{d}" '
        f'stroke-width="6"/><rect x="245" y="270" width="110" height="90" rx="10" '
        f'fill="#ffffff" opacity="0.85"/>'
    )


def _headphones(c: str, d: str) -> str:
    return (
        f'<path d="M188 330 Q188 148 300 148 Q412 148 412 330" fill="none" stroke="{d}" '
        f'stroke-width="26" stroke-linecap="round"/>'
        f'<rect x="160" y="285" width="66" height="125" rx="26" fill="{c}" stroke="{d}" '
        f'stroke-width="6"/><rect x="374" y="285" width="66" height="125" rx="26" '
        f'fill="{c}" stroke="{d}" stroke-width="6"/>'
    )


def _phone(c: str, d: str) -> str:
    return (
        f'<rect x="215" y="112" width="170" height="330" rx="30" fill="{c}" stroke="{d}" '
        f'stroke-width="6"/><rect x="232" y="148" width="136" height="262" rx="10" '
        f'fill="#f8fafc"/><circle cx="300" cy="130" r="6" fill="{d}"/>'
    )


def _lamp(c: str, d: str) -> str:
    return (
        f'<path d="M228 150 L372 150 L415 282 L185 282 Z" fill="{c}" stroke="{d}" '
        f'stroke-width="6" stroke-linejoin="round"/>'
        f'<rect x="292" y="282" width="16" height="140" fill="{d}"/>'
        f'<ellipse cx="300" cy="430" rx="82" ry="18" fill="{d}"/>'
    )


def _mug(c: str, d: str) -> str:
    return (
        f'<path d="M368 250 Q440 250 440 312 Q440 372 368 372" fill="none" stroke="{d}" '
        f'stroke-width="22"/><rect x="185" y="200" width="185" height="225" rx="22" '
        f'fill="{c}" stroke="{d}" stroke-width="6"/>'
        f'<path d="M240 170 Q225 145 240 120 M280 170 Q265 145 280 120 M320 170 '
        f'Q305 145 320 120" fill="none" stroke="{d}" stroke-width="6" opacity="0.5"/>'
    )


def _ball(c: str, d: str) -> str:
    return (
        f'<circle cx="300" cy="285" r="145" fill="{c}" stroke="{d}" stroke-width="6"/>'
        f'<path d="M160 250 Q300 320 440 250 M200 390 Q300 280 400 390 M300 140 '
        f'Q250 285 300 430" fill="none" stroke="#ffffff" stroke-width="8" opacity="0.8"/>'
    )


def _blocks(c: str, d: str) -> str:
    light = _shade(c, 1.45)
    return (
        f'<rect x="178" y="318" width="122" height="122" rx="10" fill="{c}" stroke="{d}" '
        f'stroke-width="6"/><rect x="300" y="318" width="122" height="122" rx="10" '
        f'fill="{light}" stroke="{d}" stroke-width="6"/><rect x="239" y="196" width="122" '
        f'height="122" rx="10" fill="{c}" stroke="{d}" stroke-width="6"/>'
        f'<circle cx="300" cy="257" r="24" fill="#ffffff" opacity="0.85"/>'
    )


def _jar(c: str, d: str) -> str:
    return (
        f'<rect x="218" y="150" width="164" height="56" rx="12" fill="{d}"/>'
        f'<rect x="205" y="200" width="190" height="235" rx="42" fill="{c}" stroke="{d}" '
        f'stroke-width="6"/><rect x="225" y="265" width="150" height="100" rx="10" '
        f'fill="#ffffff" opacity="0.85"/>'
    )


SHAPES: dict[str, Callable[[str, str], str]] = {
    "shirt": _shirt,
    "dress": _dress,
    "shoe": _shoe,
    "bag": _bag,
    "bottle": _bottle,
    "headphones": _headphones,
    "phone": _phone,
    "lamp": _lamp,
    "mug": _mug,
    "ball": _ball,
    "blocks": _blocks,
    "jar": _jar,
}


def product_svg(*, seed: int, shape: str, colour: str, label: str) -> str:
    """One picture. The seed picks the background, a slight tilt and the confetti dots."""
    if not _HEX.fullmatch(colour):
        raise ValueError(f"colour must be #rrggbb, not {colour!r}")
    rng = random.Random(seed)
    background = rng.choice(BACKGROUNDS)
    tilt = rng.uniform(-7, 7)
    dots = "".join(
        f'<circle cx="{rng.randint(30, 570)}" cy="{rng.randint(30, 470)}" '
        f'r="{rng.randint(4, 12)}" fill="{_shade(colour, 1.6)}"/>'
        for _ in range(rng.randint(3, 7))
    )
    drawing = SHAPES[shape](colour, _shade(colour, 0.6))
    caption = escape(label if len(label) <= 26 else label[:25] + "…")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}" '
        f'width="{SIZE}" height="{SIZE}">'
        f'<rect width="{SIZE}" height="{SIZE}" fill="{background}"/>{dots}'
        f'<ellipse cx="300" cy="455" rx="170" ry="16" fill="#000000" opacity="0.07"/>'
        f'<g transform="rotate({tilt:.1f} 300 290)">{drawing}</g>'
        f'<text x="300" y="530" text-anchor="middle" font-family="system-ui, sans-serif" '
        f'font-size="34" font-weight="600" fill="#2b2b2b">{caption}</text></svg>'
    )


def image_filename(product_id: int, n: int) -> str:
    """Where a product's n-th picture lives, relative to the media folder."""
    return f"products/{product_id}-{n}.svg"


@dataclass(frozen=True, slots=True)
class ImageSpec:
    filename: str  # relative to the media folder
    seed: int
    shape: str
    colour: str
    label: str


def write_all(media_dir: Path, specs: Iterable[ImageSpec]) -> int:
    """Draw and write every picture (blocking: call it in a thread); returns how many."""
    written = 0
    for spec in specs:
        path = media_dir / spec.filename
        path.parent.mkdir(parents=True, exist_ok=True)
        svg = product_svg(seed=spec.seed, shape=spec.shape, colour=spec.colour, label=spec.label)
        path.write_text(svg, encoding="utf-8")
        written += 1
    return written
