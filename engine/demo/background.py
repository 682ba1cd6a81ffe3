"""The demo mapset's background image: a 1280x720 gradient with rings and the title, drawn with Pillow.

Run ``python -m engine.demo.background`` to rewrite ``mapset/bg.png``. Importing it has no effects.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from engine.demo import demo_mapset_folder

SIZE = (1280, 720)
TITLE = "maid demo"


def render() -> Image.Image:
    width, height = SIZE
    y, x = np.mgrid[0:height, 0:width] / np.array([height, width])[:, None, None]
    top, bottom = np.array([46, 26, 82]), np.array([20, 110, 130])
    blend = (0.7 * y + 0.3 * x)[..., None]
    image = Image.fromarray((top * (1 - blend) + bottom * blend).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    centre = (width * 0.68, height * 0.5)
    for index, radius in enumerate(range(60, 520, 46)):
        shade = 255 - index * 16
        draw.ellipse([centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius],
                     outline=(shade, 170, 220), width=4 if index % 3 else 8)
    font = ImageFont.load_default(size=96)
    draw.text((80, height * 0.5), TITLE, font=font, fill=(255, 240, 250), anchor="lm")
    return image


def write(path: Path) -> None:
    render().save(path, optimize=True)


if __name__ == "__main__":
    write(demo_mapset_folder() / "bg.png")
