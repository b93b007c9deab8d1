"""Draw the WAHA Presence icon and logo (light and dark) into brand/."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
BRAND_DIR = ROOT / "brand"
INTEGRATION_BRAND_DIR = ROOT / "custom_components" / "waha_presence" / "brand"

# Everything is drawn this many times larger, then downsampled: Pillow's shapes
# are not anti-aliased, the downsampling is what smooths their edges.
SUPERSAMPLE = 4
ICON_SIZE = 256
LOGO_HEIGHT = 128
WORDMARK = ("WAHA", " Presence")

type RGBA = tuple[int, int, int, int]


@dataclass(frozen=True)
class Palette:
    """Colours of one variant (light backgrounds or dark backgrounds)."""

    bubble_top: RGBA
    bubble_bottom: RGBA
    dots: RGBA
    presence: RGBA
    word_strong: RGBA
    word_soft: RGBA


LIGHT = Palette(
    bubble_top=(20, 184, 166, 255),
    bubble_bottom=(15, 110, 110, 255),
    dots=(255, 255, 255, 255),
    presence=(34, 197, 94, 255),
    word_strong=(17, 24, 39, 255),
    word_soft=(15, 118, 110, 255),
)
DARK = Palette(
    bubble_top=(94, 234, 212, 255),
    bubble_bottom=(20, 184, 166, 255),
    dots=(15, 23, 42, 255),
    presence=(74, 222, 128, 255),
    word_strong=(241, 245, 249, 255),
    word_soft=(94, 234, 212, 255),
)


def _gradient(size: int, top: RGBA, bottom: RGBA) -> Image.Image:
    """Return a square vertical gradient from top to bottom colour."""
    column = Image.new("RGBA", (1, size))
    for y in range(size):
        t = y / (size - 1)
        column.putpixel(
            (0, y),
            tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)),
        )
    return column.resize((size, size))


def _icon(size: int, palette: Palette) -> Image.Image:
    """Draw the icon: a chat bubble with typing dots and an online dot."""
    big = size * SUPERSAMPLE

    def px(value: float) -> int:
        return round(value * big)

    def circle(cx: float, cy: float, r: float) -> tuple[int, int, int, int]:
        return (px(cx - r), px(cy - r), px(cx + r), px(cy + r))

    bubble = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(bubble)
    draw.rounded_rectangle((0, px(0.12), px(0.88), px(0.80)), radius=px(0.2), fill=255)
    draw.polygon([(px(0.10), px(0.66)), (px(0.40), px(0.76)), (px(0.04), px(1.0))], 255)
    # A transparent ring separates the online dot from the bubble, as in chat apps.
    presence_centre, presence_r, gap = (0.835, 0.165), 0.165, 0.055
    draw.ellipse(circle(*presence_centre, presence_r + gap), fill=0)

    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    image.paste(_gradient(big, palette.bubble_top, palette.bubble_bottom), mask=bubble)
    draw = ImageDraw.Draw(image)
    for cx in (0.22, 0.44, 0.66):
        draw.ellipse(circle(cx, 0.46, 0.075), fill=palette.dots)
    draw.ellipse(circle(*presence_centre, presence_r), fill=palette.presence)
    return _trim(image).resize((size, size), Image.Resampling.LANCZOS)


def _logo(height: int, palette: Palette) -> Image.Image:
    """Draw the logo: the icon followed by the wordmark, on one line."""
    big = height * SUPERSAMPLE
    icon = _icon(big, palette)
    font = ImageFont.load_default(size=round(big * 0.46))
    strong, soft = WORDMARK
    bold = round(big * 0.012)
    measure = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    strong_w = measure.textlength(strong, font=font) + 2 * bold
    text_w = round(strong_w + measure.textlength(soft, font=font))
    gap = round(big * 0.16)
    image = Image.new("RGBA", (big + gap + text_w + big // 8, big), (0, 0, 0, 0))
    image.paste(icon, (0, 0))
    draw = ImageDraw.Draw(image)
    baseline = round(big * 0.70)
    x = big + gap
    # Pillow's bundled font has one weight; a stroke in the fill colour makes it bold.
    draw.text(
        (x + bold, baseline),
        strong,
        font=font,
        fill=palette.word_strong,
        anchor="ls",
        stroke_width=bold,
        stroke_fill=palette.word_strong,
    )
    draw.text(
        (x + strong_w, baseline), soft, font=font, fill=palette.word_soft, anchor="ls"
    )
    logo = _trim(image)
    width = round(logo.width * height / logo.height)
    return logo.resize((width, height), Image.Resampling.LANCZOS)


def _trim(image: Image.Image) -> Image.Image:
    """Crop away fully transparent borders."""
    bbox = image.getchannel("A").getbbox()
    assert bbox is not None, "nothing was drawn"
    return image.crop(bbox)


def _images() -> dict[str, Image.Image]:
    """Return every brand image by its file name."""
    images: dict[str, Image.Image] = {}
    for prefix, palette in (("", LIGHT), ("dark_", DARK)):
        for suffix, scale in (("", 1), ("@2x", 2)):
            images[f"{prefix}icon{suffix}.png"] = _icon(ICON_SIZE * scale, palette)
            images[f"{prefix}logo{suffix}.png"] = _logo(LOGO_HEIGHT * scale, palette)
    return images


def _same(path: Path, image: Image.Image) -> bool:
    """Return whether path already holds exactly these pixels."""
    if not path.is_file():
        return False
    with Image.open(path) as old:
        return (
            old.size == image.size
            and not ImageChops.difference(old.convert("RGBA"), image).getbbox()
        )


def main() -> None:
    """Write the images to brand/ and the integration's brand/ folder."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="fail if a committed image is outdated"
    )
    args = parser.parse_args()
    outdated: list[str] = []
    for name, image in _images().items():
        for folder in (BRAND_DIR, INTEGRATION_BRAND_DIR):
            path = folder / name
            if _same(path, image):
                continue
            outdated.append(str(path.relative_to(ROOT)))
            if not args.check:
                folder.mkdir(parents=True, exist_ok=True)
                image.save(path, optimize=True)
                print(f"wrote {path.relative_to(ROOT)} {image.width}x{image.height}")
    if args.check and outdated:
        raise SystemExit(f"outdated brand images: {', '.join(outdated)}")
    if not outdated:
        print("brand images are up to date")


if __name__ == "__main__":
    main()
