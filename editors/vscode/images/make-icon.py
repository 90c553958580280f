#!/usr/bin/env python3
"""Draws the extension's icon, images/icon.png (128x128): a key under a check
mark on a rounded square. Shapes are signed distances sampled 4x4 per pixel,
written as PNG with the standard library only, so the icon can be redrawn on
any machine: python3 images/make-icon.py
"""

import math
import os
import struct
import zlib

SIZE = 128
SAMPLES = 4

BACKGROUND_TOP = (22, 78, 99)
BACKGROUND_BOTTOM = (12, 44, 60)
KEY = (244, 246, 248)
CHECK = (72, 199, 116)


def rounded_square(x, y, half, radius):
    qx = abs(x) - (half - radius)
    qy = abs(y) - (half - radius)
    outside = math.hypot(max(qx, 0.0), max(qy, 0.0))
    return outside + min(max(qx, qy), 0.0) - radius


def box(x, y, cx, cy, hw, hh):
    qx = abs(x - cx) - hw
    qy = abs(y - cy) - hh
    return math.hypot(max(qx, 0.0), max(qy, 0.0)) + min(max(qx, qy), 0.0)


def segment(x, y, ax, ay, bx, by, width):
    px, py = x - ax, y - ay
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, (px * dx + py * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - dx * t, py - dy * t) - width


def key(x, y):
    """A key lying left to right: a ring, a shaft, two teeth."""
    ring = abs(math.hypot(x - 38, y - 76) - 17) - 7
    shaft = box(x, y, 76, 76, 30, 6)
    tooth1 = box(x, y, 92, 88, 5, 9)
    tooth2 = box(x, y, 104, 86, 4, 7)
    return min(ring, shaft, tooth1, tooth2)


def check(x, y):
    return min(
        segment(x, y, 62, 36, 74, 48, 6),
        segment(x, y, 74, 48, 98, 22, 6),
    )


def colour_at(x, y):
    """The colour at a point of the canvas, or None outside the icon."""
    c = SIZE / 2
    if rounded_square(x - c, y - c, c - 2, 24) > 0:
        return None
    t = y / SIZE
    colour = tuple(
        round(top + (bottom - top) * t)
        for top, bottom in zip(BACKGROUND_TOP, BACKGROUND_BOTTOM)
    )
    if key(x, y) <= 0:
        colour = KEY
    if check(x, y) <= 0:
        colour = CHECK
    return colour


def render():
    rows = []
    for py in range(SIZE):
        row = bytearray([0])  # filter: none
        for px in range(SIZE):
            r = g = b = a = 0
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    x = px + (sx + 0.5) / SAMPLES
                    y = py + (sy + 0.5) / SAMPLES
                    colour = colour_at(x, y)
                    if colour is not None:
                        r += colour[0]
                        g += colour[1]
                        b += colour[2]
                        a += 1
            if a:
                row += bytes((r // a, g // a, b // a, 255 * a // SAMPLES**2))
            else:
                row += bytes(4)
        rows.append(bytes(row))
    return b"".join(rows)


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def write_png(path, pixels):
    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)  # 8-bit RGBA
    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        out.write(chunk(b"IHDR", header))
        out.write(chunk(b"IDAT", zlib.compress(pixels, 9)))
        out.write(chunk(b"IEND", b""))


if __name__ == "__main__":
    write_png(os.path.join(os.path.dirname(os.path.abspath(__file__)), "icon.png"), render())
