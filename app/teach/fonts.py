"""Fonts for pictures drawn on the server (the animated GIF): one that has Chinese
glyphs when there is one on the system (fonts-noto-cjk on Debian, PingFang or Microsoft
YaHei elsewhere), else DejaVu Sans, else Pillow's own font (Latin letters only).

    fonts = find_fonts()        # cached
    fonts.cjk                   # can it write 中文?
    fonts.regular(16), fonts.bold(16)
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

# (file, face index): the Simplified Chinese face of a collection first.
CJK_FILES = {
    "regular": [("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
                ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
                ("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf", 0),
                ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
                ("/System/Library/Fonts/PingFang.ttc", 0),
                ("C:/Windows/Fonts/msyh.ttc", 0)],
    "bold": [("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
             ("/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc", 2),
             ("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Bold.otf", 0),
             ("C:/Windows/Fonts/msyhbd.ttc", 0)],
}
LATIN_FILES = {
    "regular": [("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),
                ("/Library/Fonts/Arial.ttf", 0), ("C:/Windows/Fonts/arial.ttf", 0)],
    "bold": [("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 0),
             ("/Library/Fonts/Arial Bold.ttf", 0), ("C:/Windows/Fonts/arialbd.ttf", 0)],
}
Face = tuple[str, int]


def _loads(face: Face) -> bool:
    try:
        ImageFont.truetype(face[0], 12, index=face[1])
        return True
    except OSError:
        return False


def _writes_chinese(face: Face) -> bool:
    """Does the face draw 中 as a glyph of its own (not the empty box of a missing one)?"""
    font = ImageFont.truetype(face[0], 24, index=face[1])
    return font.getmask("中").getbbox() != font.getmask("\U000f0000").getbbox()


def _fc_match(pattern: str) -> Face | None:
    """fontconfig's choice for a pattern (Linux, BSD), if fc-match is there."""
    if not shutil.which("fc-match"):
        return None
    try:
        out = subprocess.run(["fc-match", "-f", "%{file}:%{index}", pattern],
                             capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    path, _, index = out.rpartition(":")
    return (path, int(index)) if path and index.isdigit() and Path(path).is_file() else None


def _first(faces: list[Face | None], check=_loads) -> Face | None:
    for face in faces:
        if face and Path(face[0]).is_file() and _loads(face) and check(face):
            return face
    return None


@dataclass(frozen=True)
class Fonts:
    regular_face: Face | None
    bold_face: Face | None
    cjk: bool

    def regular(self, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        return _font(self.regular_face, size)

    def bold(self, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        return _font(self.bold_face or self.regular_face, size)


@lru_cache(maxsize=64)
def _font(face: Face | None, size: int):
    if face is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(face[0], size, index=face[1])


@lru_cache(maxsize=1)
def find_fonts() -> Fonts:
    """The system's fonts, looked for once per process."""
    cjk = _first([*CJK_FILES["regular"], _fc_match("sans-serif:lang=zh-cn")], _writes_chinese)
    if cjk:
        bold = _first([*CJK_FILES["bold"], _fc_match("sans-serif:bold:lang=zh-cn")],
                      _writes_chinese)
        return Fonts(cjk, bold, True)
    latin = _first([*LATIN_FILES["regular"], _fc_match("sans-serif")])
    bold = _first([*LATIN_FILES["bold"], _fc_match("sans-serif:bold")]) if latin else None
    return Fonts(latin, bold, False)
