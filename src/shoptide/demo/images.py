"""Product pictures drawn as small SVG files, so demo data needs no downloads.

Each picture is a flat illustration: a soft background, the product's shape (shirt, bottle,
mug, ...) in the product's colour, and its short name. The same seed draws the same picture.
"""

import random
import re
import tomllib
from collections.abc import Iterable
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


def _shapes() -> dict[str, str]:
    """Each shape's SVG elements (shapes.toml), its colours left as {c}, {d} and {light}."""
    table = tomllib.loads(Path(__file__).with_name("shapes.toml").read_text(encoding="utf-8"))
    return {name: "".join(svg.splitlines()) for name, svg in table.items()}


SHAPES = _shapes()


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
    drawing = SHAPES[shape].format(c=colour, d=_shade(colour, 0.6), light=_shade(colour, 1.45))
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
