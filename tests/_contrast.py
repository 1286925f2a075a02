"""Text contrast measured in the browser from computed styles (WCAG 2), for the themes' tests."""

from __future__ import annotations

from pathlib import Path

import jupyterlab  # type: ignore[import-untyped]

# Every element matching the selector, or inside one, that draws text (its own text nodes, or
# a form control's value or placeholder) and is visible and not disabled (WCAG exempts inactive
# controls): the element, its text, its colour and effective background (composited through the
# alpha of colours and the opacity of the element and its ancestors, over a white canvas), and
# the contrast ratio.
CONTRAST = """(selector) => {
  const roots = [...document.querySelectorAll(selector)];
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const [r, g, b, a] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [r, g, b, a === undefined ? 1 : a];
  };
  const over = (top, bottom) => {
    const a = top[3] + bottom[3] * (1 - top[3]);
    if (!a) return [0, 0, 0, 0];
    const mix = (i) => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a;
    return [mix(0), mix(1), mix(2), a];
  };
  const background = (el) => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const bg = parse(getComputedStyle(node).backgroundColor);
      if (bg && bg[3] > 0) layers.push(bg);
      if (bg && bg[3] >= 1) break;
    }
    let colour = [255, 255, 255, 1];  // the canvas under a page with no background at all
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  const opacity = (el) => {
    let o = 1;
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      o *= Number(getComputedStyle(node).opacity);
    }
    return o;
  };
  const luminance = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const name = (el) => el.tagName.toLowerCase()
    + (el.className && typeof el.className === 'string'
       ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const rows = [];
  for (const el of roots.flatMap((r) => [r, ...r.querySelectorAll('*')])) {
    const style = getComputedStyle(el);
    if (style.visibility !== 'visible' || !el.getClientRects().length) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width < 1 || rect.height < 1) continue;
    const alpha = opacity(el);
    if (alpha === 0) continue;  // not drawn (the actions of an entry not hovered nor focused)
    if (el.matches(':disabled')) continue;  // WCAG 1.4.3 exempts inactive controls
    const own = [...el.childNodes].filter((n) => n.nodeType === 3 && n.textContent.trim());
    const texts = [];
    if (own.length) texts.push([style.color, own.map((n) => n.textContent).join('').trim()]);
    if ((el.tagName === 'INPUT' && !['range', 'checkbox', 'radio'].includes(el.type))
        || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') {
      if (el.value) texts.push([style.color, el.value]);
      else if (el.placeholder) {
        texts.push([getComputedStyle(el, '::placeholder').color, el.placeholder]);
      }
    }
    const bg = background(el);
    for (const [colour, text] of texts) {
      const fg = parse(colour);
      const drawn = over([fg[0], fg[1], fg[2], fg[3] * alpha], bg);
      const r = ratio(drawn, bg);
      const row = {element: name(el), text: text.slice(0, 40), colour,
                   background: bg.map(Math.round).join(','), ratio: Math.round(r * 100) / 100};
      rows.push(row);
    }
  }
  return rows;
}"""


AA = 4.5
"""WCAG 2 AA's least contrast for normal text."""


def theme_css(name: str) -> str:
    """The CSS of one of JupyterLab's themes (``light``, ``dark``, ``dark-high-contrast``): its
    ``--jp-*`` variables on ``:root``, as Lab loads them."""
    folder = Path(jupyterlab.__file__).parent / "themes" / "@jupyterlab"
    return (folder / f"theme-{name}-extension" / "index.css").read_text(encoding="utf-8")
