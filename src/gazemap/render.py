"""Pictures for people: heatmaps, fog maps and gaze plots over screenshots, AOI outlines.

The numbers come from ``gazemap.heatmap`` (pure arrays); this module only draws them, with
OpenCV for shapes and image I/O and Matplotlib for colormaps and text (FreeType, so AOI names
in any script render). Every image has the size of the screenshot it is drawn on; page px
are scaled to image px when a screenshot's size differs from the protocol's page size.

Colours: heatmaps use perceptually uniform colormaps that colour-blind viewers read
(``viridis`` by default; ``cividis``, ``magma``, ``inferno`` allowed); participants and AOI
roles use the Okabe-Ito palette. Images are RGB ``uint8`` arrays of shape (height, width, 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from gazemap.errors import InputError
from gazemap.heatmap import Heatmap
from gazemap.protocol import AOI

#: perceptually uniform, colour-vision-deficiency friendly colormaps (Matplotlib names)
COLORMAPS = ("viridis", "cividis", "magma", "inferno", "plasma")

#: Okabe & Ito (2008) colour-blind-safe palette, RGB
OKABE_ITO: tuple[tuple[int, int, int], ...] = (
    (213, 94, 0),  # vermillion
    (0, 114, 178),  # blue
    (0, 158, 115),  # bluish green
    (230, 159, 0),  # orange
    (204, 121, 167),  # reddish purple
    (86, 180, 233),  # sky blue
    (240, 228, 66),  # yellow
)
ROLE_COLOURS: dict[str, tuple[int, int, int]] = {
    "target": (0, 114, 178),
    "cta": (213, 94, 0),
    "navigation": (0, 158, 115),
    "content": (90, 90, 90),
    "distractor": (204, 121, 167),
}

_BG_RGB = (236, 238, 241)


# ---------------------------------------------------------------------------- image I/O


def blank_page(width_px: int, height_px: int) -> np.ndarray:
    """A light grey canvas with a faint 100 px grid, for screens without a screenshot."""
    img = np.empty((int(height_px), int(width_px), 3), dtype=np.uint8)
    img[:] = _BG_RGB
    img[::100, :] = (222, 224, 228)
    img[:, ::100] = (222, 224, 228)
    return img


def load_screenshot(path: Path | None, page_width_px: int, page_height_px: int) -> np.ndarray:
    """Read a screenshot as RGB, or a blank page of the page size when ``path`` is None.

    Raises
    ------
    InputError
        The file is named but missing or not an image.
    """
    if path is None:
        return blank_page(page_width_px, page_height_px)
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"screenshot {path} does not exist. Put the screenshot next to the protocol or fix "
            "the screen's 'screenshot' field."
        )
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise InputError(f"screenshot {path} is not a readable image (PNG/JPEG expected).")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


#: zlib level of indexed PNGs (Pillow): 15 % smaller than level 3 for 0.02 s more per picture
PNG_LEVEL = 6
#: zlib level of full-colour (lossless) PNGs, the heatmaps and their thumbnails
RGB_PNG_LEVEL = 5
#: JPEG quality of pictures that are photographic (the opacity map: blurred, dark, no fine
#: lines); written with 4:4:4 chroma so its caption text keeps its colour edges
JPEG_QUALITY = 90


def _write_bytes(path: Path, data: bytes | None) -> Path:
    path = Path(path)
    try:
        if data is None:
            raise OSError("image encoding failed")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise InputError(f"could not write {path} ({exc}); check the folder is writable.") from exc
    return path


def write_png(path: Path, image_rgb: np.ndarray, *, colours: int | None = None) -> Path:
    """Write an RGB image as PNG (creating folders); returns the path.

    Parameters
    ----------
    path : the file to write.
    image_rgb : (h, w, 3) uint8 RGB.
    colours : None = lossless RGB, zlib level :data:`RGB_PNG_LEVEL` (5) with its default
        strategy: on the sample's 7 heatmaps 4.80 MB in 1.0 s of CPU, against 5.22 MB in
        0.55 s with level 1 and the run-length strategy (used until 2026-11-26) and 4.52 MB
        in 1.7 s at level 6; a number (2-256) = an
        indexed PNG with that many colours (Pillow's fast octree, no dithering), for pictures
        of flat colours: a gaze plot over a screenshot is 4-5x smaller and differs from the
        RGB image by about 2 levels of 255 on average (PSNR ~39 dB). Not for heatmaps: their
        smooth gradients band.
    """
    if colours is None:
        ok, buf = cv2.imencode(
            ".png", cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR),
            [cv2.IMWRITE_PNG_COMPRESSION, RGB_PNG_LEVEL],
        )  # fmt: skip
        return _write_bytes(path, buf.tobytes() if ok else None)
    if not 2 <= int(colours) <= 256:
        raise InputError(f"colours must be 2-256 for an indexed PNG, got {colours!r}.")
    import io

    from PIL import Image

    pal = Image.fromarray(np.ascontiguousarray(image_rgb, dtype=np.uint8), "RGB").quantize(
        int(colours), method=Image.Quantize.FASTOCTREE
    )
    bio = io.BytesIO()
    pal.save(bio, "PNG", compress_level=PNG_LEVEL)
    return _write_bytes(path, bio.getvalue())


def write_jpeg(path: Path, image_rgb: np.ndarray, quality: int = JPEG_QUALITY) -> Path:
    """Write an RGB image as JPEG (4:4:4 chroma, creating folders); returns the path.

    For photographic pictures only (the opacity map): at quality 90 it is 5-8x smaller than
    a PNG of it and differs by < 1 level of 255 on average (PSNR ~50 dB). Its Huffman tables
    are optimised for the picture (the same pixels, 16 % smaller than the standard tables on
    the sample's opacity maps).
    """
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR),
        [cv2.IMWRITE_JPEG_QUALITY, int(quality),
         cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444,
         cv2.IMWRITE_JPEG_OPTIMIZE, 1],
    )  # fmt: skip
    return _write_bytes(path, buf.tobytes() if ok else None)


def thumbnail(
    image_rgb: np.ndarray, width_px: int = 360, focus_y: float | None = None
) -> np.ndarray:
    """A small copy: ``width_px`` wide, at most 1.25 x as tall, cropped around ``focus_y``.

    ``focus_y`` is a row of the full image (e.g. the attention centroid); the crop window is
    centred on it and kept inside the image.
    """
    h, w = image_rgb.shape[:2]
    crop_h = min(h, int(round(w * 1.25)))
    fy = h / 2 if focus_y is None else float(focus_y)
    top = int(np.clip(fy - crop_h / 2, 0, h - crop_h))
    crop = image_rgb[top : top + crop_h]
    scale = width_px / w
    size = (int(width_px), max(1, int(round(crop_h * scale))))
    return cv2.resize(crop, size, interpolation=cv2.INTER_AREA)


# ------------------------------------------------------------------------------ colours


@lru_cache(maxsize=16)
def colormap_lut(name: str) -> np.ndarray:
    """(256, 3) uint8 RGB lookup table of a Matplotlib colormap from :data:`COLORMAPS`."""
    if name not in COLORMAPS:
        raise InputError(
            f"colormap must be one of {', '.join(COLORMAPS)} (perceptually uniform, "
            f"colour-blind friendly), got {name!r}."
        )
    from matplotlib import colormaps

    lut = colormaps[name](np.linspace(0.0, 1.0, 256))[:, :3]
    return np.round(lut * 255).astype(np.uint8)


def participant_colour(index: int) -> tuple[int, int, int]:
    """Okabe-Ito colour of the ``index``-th participant (cycles after 7)."""
    return OKABE_ITO[index % len(OKABE_ITO)]


# --------------------------------------------------------------------------------- text


@lru_cache(maxsize=2)
def _font(bold: bool) -> Any:
    """A FreeType font object of DejaVu Sans (Matplotlib's bundled font), reused."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    props = font_manager.FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal")
    return FT2Font(font_manager.findfont(props))


@lru_cache(maxsize=512)
def _text_mask(text: str, size_px: float, bold: bool = False) -> np.ndarray:
    """Anti-aliased alpha mask (h, w) uint8 of one line of text, ``size_px`` em height."""
    font = _font(bold)
    font.set_size(size_px * 72.0 / 100.0, 100)
    font.set_text(text)
    font.draw_glyphs_to_bitmap(antialiased=True)
    mask = np.asarray(font.get_image(), dtype=np.uint8).copy()
    mask.flags.writeable = False  # shared by the cache
    return mask


def _blend_mask(img: np.ndarray, mask: np.ndarray, x: int, y: int, rgb: Sequence[int]) -> None:
    h, w = mask.shape
    H, W = img.shape[:2]
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, W), min(y + h, H)
    if x1 <= x0 or y1 <= y0:
        return
    a = mask[y0 - y : y1 - y, x0 - x : x1 - x, None].astype(np.float32) / 255.0
    region = img[y0:y1, x0:x1].astype(np.float32)
    img[y0:y1, x0:x1] = (region * (1 - a) + np.asarray(rgb, np.float32) * a).astype(np.uint8)


def text_box_size(
    text: str, size_px: float, pad_px: int = 4, bold: bool = False
) -> tuple[int, int]:
    """(width, height) px of the box :func:`draw_text` draws for ``text``."""
    h, w = _text_mask(text, size_px, bold=bold).shape
    return w + 2 * pad_px, h + 2 * pad_px


def draw_text(
    img: np.ndarray,
    text: str,
    x: int,
    y: int,
    size_px: float,
    rgb: Sequence[int] = (20, 20, 20),
    box_rgb: Sequence[int] | None = None,
    pad_px: int = 4,
    bold: bool = False,
) -> tuple[int, int]:
    """Draw ``text`` with its top-left at (x, y), optionally on a filled box; in place.

    Returns the (width, height) of the drawn box in px.
    """
    mask = _text_mask(text, size_px, bold=bold)
    h, w = mask.shape
    if box_rgb is not None:
        cv2.rectangle(
            img,
            (x, y),
            (x + w + 2 * pad_px, y + h + 2 * pad_px),
            tuple(int(c) for c in box_rgb),
            -1,
        )
    _blend_mask(img, mask, x + pad_px, y + pad_px, rgb)
    return w + 2 * pad_px, h + 2 * pad_px


# ----------------------------------------------------------------------------- heatmaps


def _density_on_image(heatmap: Heatmap, width_px: int, height_px: int) -> np.ndarray:
    """Density per square degree, resampled to the image (bilinear), float32 (h, w)."""
    dens = heatmap.per_deg2().astype(np.float32)
    # grid cell centres sit at (i + 0.5) * cell page px; cv2.resize maps pixel centres the same
    # way, so resizing the grid to the page size (then to the image size) keeps positions
    grid_w = heatmap.page_width_px / heatmap.cell_px
    pad_w = int(np.ceil(grid_w))
    grid_h = heatmap.page_height_px / heatmap.cell_px
    pad_h = int(np.ceil(grid_h))
    full = cv2.resize(
        dens,
        (int(round(pad_w * heatmap.cell_px)), int(round(pad_h * heatmap.cell_px))),
        interpolation=cv2.INTER_LINEAR,
    )[: heatmap.page_height_px, : heatmap.page_width_px]
    if full.shape[:2] != (height_px, width_px):
        full = cv2.resize(full, (width_px, height_px), interpolation=cv2.INTER_LINEAR)
    return full


def _vmax(heatmap: Heatmap, vmax: float | None) -> float:
    """Top of the colour scale: ``vmax`` or the map's peak density per deg²."""
    if vmax is not None:
        if not np.isfinite(vmax) or vmax <= 0:
            raise InputError(f"vmax must be > 0, got {vmax!r}.")
        return float(vmax)
    m = float(heatmap.per_deg2().max()) if heatmap.values.size else 0.0
    return m if m > 0 else 1.0


def legend_label(heatmap: Heatmap) -> str:
    """Unit text of the colour scale of a heatmap image."""
    per = "per deg²"
    if heatmap.normalization == "relative":
        return f"share of attention {per}"
    return f"fixation time, s {per}" if heatmap.weighting == "duration" else f"fixations {per}"


def heatmap_overlay(
    image_rgb: np.ndarray,
    heatmap: Heatmap,
    *,
    colormap: str = "viridis",
    max_alpha: float = 0.75,
    vmax: float | None = None,
    legend: bool = True,
    title: str | None = None,
) -> np.ndarray:
    """Heatmap drawn over a screenshot, with a colour scale and legend.

    Density below 3 % of ``vmax`` is transparent and opacity ramps up to ``max_alpha`` at
    30 % of ``vmax``, so the page stays readable where few people looked.

    Parameters
    ----------
    image_rgb : (h, w, 3) uint8 screenshot (any size; the page is scaled onto it).
    heatmap : a :class:`gazemap.heatmap.Heatmap` of the page.
    colormap : one of :data:`COLORMAPS`.
    max_alpha : opacity of the densest areas, 0-1.
    vmax : density (per deg²) at the top of the colour scale; None = the map's maximum.
    legend : draw the colour bar and its text in the top-right corner.
    title : first line of the legend (e.g. touchpoint and screen names).

    Returns
    -------
    (h, w, 3) uint8 RGB image.
    """
    if not 0 < max_alpha <= 1:
        raise InputError(f"max_alpha must be in (0, 1], got {max_alpha!r}.")
    lut = colormap_lut(colormap)
    h, w = image_rgb.shape[:2]
    dens = _density_on_image(heatmap, w, h)
    top = _vmax(heatmap, vmax)
    t = np.clip(dens / top, 0.0, 1.0)
    colour = lut[np.round(t * 255).astype(np.intp)].astype(np.float32)
    alpha = (max_alpha * np.clip((t - 0.03) / 0.27, 0.0, 1.0))[..., None]
    out = (image_rgb.astype(np.float32) * (1 - alpha) + colour * alpha).astype(np.uint8)
    if legend:
        _draw_legend(out, lut, top, legend_label(heatmap), heatmap, title)
    return out


def add_heatmap_legend(
    image_rgb: np.ndarray,
    heatmap: Heatmap,
    *,
    colormap: str = "viridis",
    vmax: float | None = None,
    title: str | None = None,
    margin: bool = False,
) -> np.ndarray:
    """A copy of a ``heatmap_overlay(..., legend=False)`` image with the legend.

    ``margin=False`` draws it in the image's top-right corner, over the page (where a page
    usually has its navigation); ``margin=True`` puts it in a strip of its own above the
    page (:func:`legend_strip`), so it hides nothing: the result is that strip's height
    taller than ``image_rgb`` and the page starts below it.
    """
    top = _vmax(heatmap, vmax)
    lut = colormap_lut(colormap)
    if margin:
        strip = legend_strip(image_rgb.shape[1], lut, top, legend_label(heatmap), heatmap, title)
        return np.vstack([strip, image_rgb])
    out = image_rgb.copy()
    _draw_legend(out, lut, top, legend_label(heatmap), heatmap, title)
    return out


#: background and bottom line of the legend strip above a picture (:func:`legend_strip`)
STRIP_RGB = (255, 255, 255)
STRIP_LINE_RGB = (160, 160, 160)
#: the strip's text size, times :func:`legend_text_px`
STRIP_TEXT_SCALE = 1.3


def legend_strip(
    width_px: int, lut: np.ndarray, top: float, label: str, hm: Heatmap, title: str | None
) -> np.ndarray:
    """The legend of a heatmap (or opacity map) as a strip to put above the picture.

    On the left the title (bold), the scale's unit ``label`` and the kernel, fixations and
    participants; on the right the colour bar (``lut``, 0 to ``top``) with its ticks, or
    below the text when the picture is too narrow for both side by side. Text is the AOI
    labels' size times ``STRIP_TEXT_SCALE`` (1.3). A white band with a grey line at its bottom.

    Returns
    -------
    (strip_h, width_px, 3) uint8 RGB; ``strip_h`` depends only on ``width_px`` and how many
    lines fit side by side (about 5 x the text size: 146 px on a 1440 px page).
    """
    w = int(width_px)
    # larger than a legend over the page (it hides nothing here): 29 px on a 1440 px page,
    # 12 px where the report shows it 580 px wide beside the opacity map in a 1280 px window
    fs = legend_text_px(w) * STRIP_TEXT_SCALE
    pad = int(fs * 0.6)
    bar_w = int(np.clip(w * 0.18, 120, 360))
    bar_h = max(8, int(fs * 0.9))
    masks = [_text_mask(t, fs, bold=b) for t, b in _legend_lines(label, hm, title)]
    ticks = [0.0, top / 2, top]
    tick_masks = [_text_mask(_fmt(v), fs * 0.85) for v in ticks]
    text_h = sum(m.shape[0] for m in masks) + (pad // 2) * (len(masks) - 1)
    text_w = max(m.shape[1] for m in masks)
    bar_block_h = bar_h + pad // 3 + max(m.shape[0] for m in tick_masks)
    beside = text_w + bar_w + 4 * pad <= w
    if beside:
        strip_h = 2 * pad + max(text_h, bar_block_h)
        bx, by = w - pad - bar_w, pad + (strip_h - 2 * pad - bar_block_h) // 2
    else:
        strip_h = 2 * pad + text_h + pad + bar_block_h
        bx, by = pad, pad + text_h + pad
    strip = np.empty((strip_h, w, 3), np.uint8)
    strip[:] = STRIP_RGB
    strip[-1] = STRIP_LINE_RGB
    y = pad
    for m in masks:
        _blend_mask(strip, m, pad, y, (25, 25, 25))
        y += m.shape[0] + pad // 2
    bw = min(bar_w, w - bx - pad) if w - bx - pad > 0 else bar_w
    bar = lut[np.linspace(0, 255, bw).astype(np.intp)][None, :, :].repeat(bar_h, axis=0)
    strip[by : by + bar_h, bx : bx + bw] = bar
    cv2.rectangle(strip, (bx - 1, by - 1), (bx + bw, by + bar_h), STRIP_LINE_RGB, 1)
    ty = by + bar_h + pad // 3
    for v, m in zip(ticks, tick_masks, strict=True):
        frac = v / top if top else 0.0
        tx = bx + int(frac * (bw - 1)) - int(frac * m.shape[1])
        _blend_mask(strip, m, tx, ty, (60, 60, 60))
    return strip


def _legend_lines(label: str, hm: Heatmap, title: str | None) -> list[tuple[str, bool]]:
    """The legend's text lines (text, bold): title, the scale's unit, kernel and counts."""
    lines = [(title, True)] if title else []
    lines.append((label, False))
    lines.append(
        (
            f"σ = {hm.sigma_deg:g}° ({_sigma_px_text(hm)}), {hm.n_points} fixations, "
            f"{hm.n_participants} participant{'s' if hm.n_participants != 1 else ''}",
            False,
        )
    )
    return lines


def _draw_legend(
    img: np.ndarray, lut: np.ndarray, top: float, label: str, hm: Heatmap, title: str | None
) -> None:
    h, w = img.shape[:2]
    fs = legend_text_px(w)
    bar_w = int(np.clip(w * 0.18, 120, 360))
    bar_h = max(8, int(fs * 0.9))
    masks = [(_text_mask(t, fs, bold=b), b) for t, b in _legend_lines(label, hm, title)]
    ticks = [0.0, top / 2, top]
    tick_masks = [_text_mask(_fmt(v), fs * 0.85) for v in ticks]
    pad = int(fs * 0.6)
    inner_w = max([bar_w] + [m.shape[1] for m, _ in masks])
    box_w = inner_w + 2 * pad
    box_h = pad + sum(m.shape[0] + pad // 2 for m, _ in masks) + bar_h + pad // 2
    box_h += max(m.shape[0] for m in tick_masks) + pad
    x0 = max(0, w - box_w - pad)
    y0 = pad
    if box_w > w or box_h > h:
        return  # too small an image for a legend; the report shows the scale in text
    panel = img[y0 : y0 + box_h, x0 : x0 + box_w].astype(np.float32)
    img[y0 : y0 + box_h, x0 : x0 + box_w] = (panel * 0.12 + 255 * 0.88).astype(np.uint8)
    cv2.rectangle(img, (x0, y0), (x0 + box_w - 1, y0 + box_h - 1), (160, 160, 160), 1)
    y = y0 + pad
    for m, _ in masks:
        _blend_mask(img, m, x0 + pad, y, (25, 25, 25))
        y += m.shape[0] + pad // 2
    bar = lut[np.linspace(0, 255, bar_w).astype(np.intp)][None, :, :].repeat(bar_h, axis=0)
    img[y : y + bar_h, x0 + pad : x0 + pad + bar_w] = bar
    y += bar_h + pad // 3
    for v, m in zip(ticks, tick_masks, strict=True):
        frac = v / top if top else 0.0
        tx = x0 + pad + int(frac * (bar_w - 1)) - int(frac * m.shape[1])
        _blend_mask(img, m, tx, y, (60, 60, 60))


def _sigma_px_text(hm: Heatmap) -> str:
    """The kernel in px: one value, or the range when sessions' screens differed."""
    lo, hi = hm.sigma_px_range
    if round(hi) - round(lo) >= 1:
        return f"{lo:.0f}–{hi:.0f} px, per session's screen"
    return f"{hm.sigma_px:.0f} px"


def _fmt(v: float) -> str:
    """A tick of a colour scale: 3 significant digits, as the report prints the peak ("1.02",
    not "1" beside the page's "peak 1.02"), whole units from 100."""
    if v == 0:
        return "0"
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.3g}"


def fog_overlay(
    image_rgb: np.ndarray,
    heatmap: Heatmap,
    *,
    fog_rgb: Sequence[int] = (28, 30, 36),
    vmax: float | None = None,
    legend: bool = True,
    title: str | None = None,
    margin: bool = False,
) -> np.ndarray:
    """Opacity ("fog") map: the page is hidden where nobody looked, clear where people did.

    Visibility is ``sqrt(density / vmax)`` (so short glances stay visible), clipped to 1.
    The legend is one line in the top-left corner, over the page; with ``margin=True`` it is
    a strip above the page like the heatmap's (:func:`legend_strip`, the same height for
    the same width and title), with a bar from dark (nobody looked) to clear.

    Returns
    -------
    (h, w, 3) uint8 RGB image; with ``legend`` and ``margin``, the strip's height taller.
    """
    h, w = image_rgb.shape[:2]
    dens = _density_on_image(heatmap, w, h)
    top = _vmax(heatmap, vmax)
    vis = _fog_visibility(np.clip(dens / top, 0.0, 1.0))[..., None]
    fog = np.asarray(fog_rgb, dtype=np.float32)
    out = image_rgb.astype(np.float32) * vis + fog * (1 - vis) * 0.92 + image_rgb * (1 - vis) * 0.08
    out = out.astype(np.uint8)
    if legend and margin:
        # the bar: a white page under the fog, from nobody looked (0) to the peak
        v = _fog_visibility(np.linspace(0.0, 1.0, 256))[:, None]
        lut = np.round(255.0 * v + fog * (1 - v) * 0.92 + 255.0 * (1 - v) * 0.08)
        label = f"opacity map, clear = looked at: {legend_label(heatmap)}"
        strip = legend_strip(w, lut.clip(0, 255).astype(np.uint8), top, label, heatmap, title)
        return np.vstack([strip, out])
    if legend:
        fs = legend_text_px(w)
        text = (title + " — " if title else "") + "opacity map: clear = looked at"
        draw_text(out, text, 8, 8, fs, rgb=(25, 25, 25), box_rgb=(245, 245, 245))
    return out


# ---------------------------------------------------------------------------- gaze plot


def _fog_visibility(t: np.ndarray) -> np.ndarray:
    """How much of the page shows through the fog at density ``t`` (0-1 of the peak), 0-1."""
    return np.clip(np.sqrt(t) * 1.15, 0.0, 1.0)


def gaze_plot(
    image_rgb: np.ndarray,
    x_px: np.ndarray,
    y_px: np.ndarray,
    duration_s: np.ndarray,
    *,
    page_width_px: int,
    page_height_px: int,
    colour: Sequence[int] = OKABE_ITO[0],
    radius_px_at_250ms: float | None = None,
    label: str | None = None,
    aois: Sequence[AOI] = (),
) -> np.ndarray:
    """Scanpath of one participant: numbered fixation circles (area ~ duration), saccade lines.

    With ``aois`` their outlines are drawn under the lines and circles and their labels over
    them, so no circle hides which AOI is which. The ``label`` legend is drawn last, in the
    bottom-left corner: the AOI labels sit at their AOIs' top-left corners, and the top of a
    page (its header, where sticky-header fixations are drawn) is where people look.

    Parameters
    ----------
    image_rgb : (h, w, 3) uint8 screenshot.
    x_px, y_px : (n,) fixation centroids in page px, in time order.
    duration_s : (n,) fixation durations in s.
    page_width_px, page_height_px : page size the coordinates refer to.
    colour : RGB of this participant.
    radius_px_at_250ms : circle radius (image px) of a 250 ms fixation; None = w / 80.
    label : legend text (e.g. the participant id).
    aois : AOIs to outline and label (page px, like ``x_px``).

    Returns
    -------
    (h, w, 3) uint8 RGB image.
    """
    x = np.asarray(x_px, dtype=np.float64)
    y = np.asarray(y_px, dtype=np.float64)
    d = np.asarray(duration_s, dtype=np.float64)
    if not (x.shape == y.shape == d.shape):
        raise InputError(
            f"x_px, y_px and duration_s must have the same length, got {x.shape}, {y.shape}, "
            f"{d.shape}."
        )
    h, w = image_rgb.shape[:2]
    sx, sy = w / page_width_px, h / page_height_px
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(d)
    pts = np.column_stack([x[ok] * sx, y[ok] * sy])
    dur = np.clip(d[ok], 0.0, None)
    r250 = radius_px_at_250ms if radius_px_at_250ms is not None else max(6.0, w / 80.0)
    radii = np.clip(r250 * np.sqrt(dur / 0.25), 3.0, 6 * r250)
    col = tuple(int(c) for c in colour)
    dark = tuple(int(c * 0.55) for c in colour)
    out = image_rgb.copy()
    if aois:
        out = draw_aois(
            out, aois, page_width_px=page_width_px, page_height_px=page_height_px, names=False
        )
    lw = max(1, int(round(w / 700)))
    shift = 4  # cv2 sub-pixel bits
    ip = np.round(pts * (1 << shift)).astype(np.int32)

    layer = out.copy()
    if len(ip) > 1:
        cv2.polylines(layer, [ip.reshape(-1, 1, 2)], False, col, lw + 1, cv2.LINE_AA, shift)
    out = cv2.addWeighted(layer, 0.8, out, 0.2, 0)
    layer = out.copy()
    for (cx, cy), r in zip(ip, radii, strict=True):
        cv2.circle(layer, (int(cx), int(cy)), int(r * (1 << shift)), col, -1, cv2.LINE_AA, shift)
    out = cv2.addWeighted(layer, 0.5, out, 0.5, 0)
    for (cx, cy), r in zip(ip, radii, strict=True):
        cv2.circle(out, (int(cx), int(cy)), int(r * (1 << shift)), dark, lw, cv2.LINE_AA, shift)
    font_scale = float(np.clip(r250 / 22.0, 0.35, 1.2))
    thick = max(1, int(round(font_scale * 2)))
    for k, (px, py) in enumerate(pts, start=1):
        s = str(k)
        (tw, th), _ = cv2.getTextSize(s, cv2.FONT_HERSHEY_DUPLEX, font_scale, thick)
        org = (int(px - tw / 2), int(py + th / 2))
        cv2.putText(
            out, s, org, cv2.FONT_HERSHEY_DUPLEX, font_scale, (0, 0, 0), thick + 2, cv2.LINE_AA
        )
        cv2.putText(
            out, s, org, cv2.FONT_HERSHEY_DUPLEX, font_scale, (255, 255, 255), thick, cv2.LINE_AA
        )
    if aois:
        out = draw_aois(
            out, aois, page_width_px=page_width_px, page_height_px=page_height_px,
            outlines=False,
        )  # fmt: skip
    if label:
        fs = legend_text_px(w)
        key = f"{len(pts)} fixations; circle area ~ duration; lines = saccades"
        pad = 4
        m1 = _text_mask(label, fs, bold=True)
        top = max(0, h - (m1.shape[0] + 2 * pad) - 8)
        bw, _ = draw_text(out, label, 8, top, fs, rgb=(255, 255, 255), box_rgb=dark, bold=True)
        draw_text(out, key, 8 + bw + 6, top, fs * 0.85, rgb=(25, 25, 25), box_rgb=(245, 245, 245))
    return out


# --------------------------------------------------------------------------------- AOIs


def draw_aois(
    image_rgb: np.ndarray,
    aois: Sequence[AOI],
    *,
    page_width_px: int,
    page_height_px: int,
    names: bool = True,
    outlines: bool = True,
) -> np.ndarray:
    """AOI outlines coloured by role, each labelled with its name and role.

    ``names=False`` draws the outlines only, ``outlines=False`` the labels only (a gaze plot
    draws the outlines under its circles and the labels over them).

    Draw them *over* a heatmap (after :func:`heatmap_overlay`), not under it, so the heat
    does not cover the labels. A label is a box of the role's colour with white text and a
    white halo (it stands out on dark pages and dark heat), ``w / 65`` px high (22 px on a
    1440 px page: about 13 px when the report shows the page 842 px wide in a 1920 px window,
    10 px at 1366).

    Returns
    -------
    (h, w, 3) uint8 RGB image.
    """
    out = image_rgb.copy()
    h, w = out.shape[:2]
    sx, sy = w / page_width_px, h / page_height_px
    lw = max(2, int(round(w / 600)))
    fs = aoi_label_px(w)
    shift = 4
    for aoi in aois if outlines else ():
        pts = aoi.points * np.array([sx, sy])
        ip = np.round(pts * (1 << shift)).astype(np.int32).reshape(-1, 1, 2)
        col = ROLE_COLOURS.get(aoi.role, (60, 60, 60))
        cv2.polylines(out, [ip], True, (255, 255, 255), lw + 2, cv2.LINE_AA, shift)
        cv2.polylines(out, [ip], True, col, lw, cv2.LINE_AA, shift)
    if names:
        for aoi in aois:
            col = ROLE_COLOURS.get(aoi.role, (60, 60, 60))
            x0, y0, _, _ = aoi.bbox
            text = f"{aoi.name} ({aoi.role})"
            pad = max(2, int(round(fs / 5)))
            mask = _text_mask(text, fs)
            bw, bh = mask.shape[1] + 2 * pad, mask.shape[0] + 2 * pad
            halo = max(1, int(round(fs / 10)))
            lx = int(np.clip(x0 * sx, halo, max(halo, w - bw - halo)))
            ly = int(np.clip(y0 * sy, halo, max(halo, h - bh - halo)))
            cv2.rectangle(
                out, (lx - halo, ly - halo), (lx + bw - 1 + halo, ly + bh - 1 + halo),
                (255, 255, 255), -1,
            )  # fmt: skip
            draw_text(out, text, lx, ly, fs, rgb=(255, 255, 255), box_rgb=col, pad_px=pad)
    return out


def legend_text_px(image_width_px: int) -> float:
    """Text size of legends and captions drawn on an image ``image_width_px`` wide, px.

    The same as the AOI labels (:func:`aoi_label_px`): 22 px on a 1440 px page, about 13 px
    where the report shows it 842 px wide in a 1920 px window (it was w / 95: 15 px drawn,
    9 px shown, below what a client reads without zooming).
    """
    return aoi_label_px(image_width_px)


def aoi_label_px(image_width_px: int) -> float:
    """Text size of AOI labels on an image ``image_width_px`` wide, px (10 to 26)."""
    return float(np.clip(image_width_px / 65.0, 10.0, 26.0))
