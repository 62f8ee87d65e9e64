#!/usr/bin/env python3
"""Checks a screenshot of report.html shows its plots, and crops the blank bottom off it.

    report_png_check.py SHOT.png MIN_BANDS

The report's plots are its only saturated colours (the heatmap's ramp, the curves, the IQR
bands); text, table lines and the status box are grey or pale. The check finds the horizontal
bands of rows holding saturated pixels and requires at least MIN_BANDS of them (one per plot)
with enough coloured pixels each. Standard library only: decodes 8-bit RGB/RGBA PNGs.
"""
import struct
import sys
import zlib

SATURATION = 60       # max(r, g, b) - min(r, g, b) above this counts as coloured
MIN_BAND_PIXELS = 400  # a plot draws at least this many coloured pixels
GAP_ROWS = 40          # rows without colour that separate two bands


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG")
    offset, idat = 8, []
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        offset += 12 + length
    if depth != 8 or colour not in (2, 6) or interlace:
        sys.exit(f"{path}: unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous))
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b, c = previous[i], previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(line)
        previous = line
    return width, height, channels, rows


def write_png(path, width, channels, rows):
    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    chunk = lambda kind, body: struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, len(rows), 8, 2 if channels == 3 else 6, 0, 0, 0)
    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def main():
    path, minimum = sys.argv[1], int(sys.argv[2])
    width, height, channels, rows = read_png(path)
    coloured, last_content = [], 0
    for y, row in enumerate(rows):
        count = 0
        blank = True
        for x in range(0, width * channels, channels):
            r, g, b = row[x], row[x + 1], row[x + 2]
            if max(r, g, b) - min(r, g, b) > SATURATION:
                count += 1
            if blank and min(r, g, b) < 245:
                blank = False
        coloured.append(count)
        if not blank:
            last_content = y
    bands, current, gap = [], None, 0
    for y, count in enumerate(coloured):
        if count:
            if current is None:
                current = [y, y, 0]
            current[1], current[2], gap = y, current[2] + count, 0
        elif current is not None:
            gap += 1
            if gap > GAP_ROWS:
                bands.append(current)
                current = None
    if current is not None:
        bands.append(current)
    plots = [band for band in bands if band[2] >= MIN_BAND_PIXELS]
    for top, bottom, count in plots:
        print(f"  coloured band rows {top}-{bottom}: {count} pixels")
    if last_content + 1 >= height:
        print(f"  note: content reaches the bottom of the {height}-row shot; the page may be cut")
    elif last_content + 40 < height:
        write_png(path, width, channels, rows[:last_content + 40])
        print(f"  cropped to {last_content + 40} rows")
    if len(plots) < minimum:
        sys.exit(f"{path}: {len(plots)} plot regions found, expected at least {minimum}")


if __name__ == "__main__":
    main()
