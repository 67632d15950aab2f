"""Small pieces for drawing SVG by hand (no plotting library needed): round axis steps, time
labels, escaped elements and text. Used by ``toil stats --chart`` and the ``--clusterStats``
chart."""
from __future__ import annotations

import html
import math
from typing import Any, Optional

__all__ = ["attributes", "element", "nice_step", "plural", "seconds_label", "text"]


def nice_step(span: float, ticks: int = 5) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about ``ticks`` ticks."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return factor * power
    return 10 * power


def seconds_label(value: float) -> str:
    """Seconds as a short label (``250 ms``, ``2.5 s``, ``3m12s``)."""
    if value == 0:
        return "0 s"
    if value < 1:
        return f"{value * 1000:.3g} ms"
    if value < 60:
        return f"{value:.3g} s" if value < 10 else f"{value:.1f} s"
    if value < 3600:
        return f"{int(value // 60)}m{int(value % 60):02d}s"
    return f"{int(value // 3600)}h{int(value % 3600 // 60):02d}m"


def attributes(**values: Any) -> str:
    """``name="value"`` pairs, escaped; a trailing ``_`` is dropped and ``_`` becomes ``-``."""
    return " ".join(f'{name.rstrip("_").replace("_", "-")}="{html.escape(str(value), quote=True)}"'
                    for name, value in values.items())


def element(tag: str, title: Optional[str] = None, **values: Any) -> str:
    """An SVG element with attributes ``values`` (``class_`` -> class, ``data_x`` -> data-x) and an
    optional tooltip title."""
    if title is None:
        return f"<{tag} {attributes(**values)}/>"
    return f"<{tag} {attributes(**values)}><title>{html.escape(title, quote=False)}</title></{tag}>"


def plural(count: int, word: str) -> str:
    """``1 job``, ``2 jobs``."""
    return f"{count} {word}{'s' if count != 1 else ''}"


def text(x: float, y: float, content: str, anchor: str = "start", size: int = 12, **extra: Any) -> str:
    """An escaped SVG ``<text>`` at (x, y)."""
    return (f'<text {attributes(x=f"{x:.1f}", y=f"{y:.1f}", text_anchor=anchor, font_size=size, **extra)}>'
            f"{html.escape(content, quote=False)}</text>")
