"""Text contrast measured in the browser from computed styles (WCAG 2), for the themes' tests."""

from __future__ import annotations

from pathlib import Path

import jupyterlab  # type: ignore[import-untyped]

# Every visible text under the selector `root` with its contrast: its colour over the
# backgrounds behind it, blended as the browser paints them (alpha included).
CONTRAST = """(root) => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const [r, g, b, a] = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [r, g, b, a === undefined ? 1 : a];
  };
  const over = (top, under) => {
    const a = top[3];
    return [0, 1, 2].map((k) => top[k] * a + under[k] * (1 - a)).concat([1]);
  };
  const background = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const bg = parse(getComputedStyle(node).backgroundColor);
      if (bg && bg[3] > 0) { layers.push(bg); if (bg[3] >= 1) break; }
    }
    let color = [255, 255, 255, 1];
    for (const layer of layers.reverse()) color = over(layer, color);
    return color;
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const visible = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.display === 'none' || style.visibility === 'hidden' || style.opacity === '0') {
        return false;
      }
    }
    return el.getClientRects().length > 0;
  };
  const out = [];
  for (const el of document.querySelectorAll(`${root}, ${root} *`)) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !visible(el)) continue;
    const bg = background(el);
    const fg = over(parse(getComputedStyle(el).color), bg);
    const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    out.push({text: el.textContent.trim().slice(0, 30), cls: el.className,
              ratio: Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100});
  }
  return out;
}"""


def theme_css(name: str) -> str:
    """The CSS of one of JupyterLab's themes (``light``, ``dark``, ``dark-high-contrast``): its
    ``--jp-*`` variables on ``:root``, as Lab loads them."""
    folder = Path(jupyterlab.__file__).parent / "themes" / "@jupyterlab"
    return (folder / f"theme-{name}-extension" / "index.css").read_text(encoding="utf-8")
