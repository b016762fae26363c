#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harnesses into fuzz/corpus/ (standard library only; run from anywhere).

  png/            PNGs of every colour type and several bit depths, palette with tRNS, an Adam7 interlaced one,
                  a PNG claiming 100000 x 100000, a bad CRC; each followed by the harness's selector byte
  jpeg/           the JPEG test fixtures (progressive, CMYK, YCCK, gray) and the baseline colour JPEG kept here,
                  and progressive.jpg with a refinement scan repeated 490 times (the work budget), each followed by
                  a selector byte
  http_request/   requests as a client sends them: keep-alive, pipelined, chunked with extensions and trailers,
                  100-continue, HTTP/1.0, absolute-form, OPTIONS *; each after the harness's piece-size byte
  multipart/      forms as browsers and curl send them, after the harness's Content-Type length byte

The harnesses read the selector/size byte documented in their own sources. Existing seeds are replaced.
"""
import os
import shutil
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
FIXTURES = os.path.join(HERE, "..", "Tests", "TestSupport", "Fixtures")
# Selector bytes of kernel_fuzzer.c: decode; grayscale; resize to 48 wide, cover, JPEG; resize + gray in 64 x 24,
# fill, PNG; resize to 1 x 3.
SELECTORS = [0x00, 0x01, 0x16, 0xAB, 0xC2]


def write(kind, name, data):
    folder = os.path.join(CORPUS, kind)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as file:
        file.write(data)


def chunk(kind, data, crc=None):
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF if crc is None else crc
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png(width, height, color_type, depth, rows, extra=b"", interlace=0, crc=None):
    header = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, interlace)
    raw = b"".join(b"\x00" + row for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + extra
            + chunk(b"IDAT", zlib.compress(raw, 9), crc) + chunk(b"IEND", b""))


def packed_row(values, depth):
    """Packs sample values of `depth` bits (1, 2, 4) into bytes, most significant first."""
    out, bits, current = bytearray(), 0, 0
    for value in values:
        current = (current << depth) | value
        bits += depth
        if bits == 8:
            out.append(current)
            bits, current = 0, 0
    if bits:
        out.append(current << (8 - bits))
    return bytes(out)


def adam7_rows(width, height, pixel):
    """Rows of an Adam7-interlaced 8-bit RGB image: the seven passes, each a sub-image of its own."""
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    rows = []
    for x0, y0, dx, dy in passes:
        for y in range(y0, height, dy):
            row = b"".join(pixel(x, y) for x in range(x0, width, dx))
            if row:
                rows.append(row)
    return rows


def png_seeds():
    w, h = 8, 6
    rgb = lambda x, y: bytes([x * 32, y * 40, (x + y) * 16])
    images = {
        "rgb8": png(w, h, 2, 8, [b"".join(rgb(x, y) for x in range(w)) for y in range(h)]),
        "rgba8": png(w, h, 6, 8, [b"".join(rgb(x, y) + bytes([x * 30]) for x in range(w)) for y in range(h)]),
        "gray8": png(w, h, 0, 8, [bytes(x * 30 for x in range(w)) for _ in range(h)]),
        "graya8": png(w, h, 4, 8, [b"".join(bytes([x * 30, 255 - y * 40]) for x in range(w)) for y in range(h)]),
        "gray1": png(w, h, 0, 1, [packed_row([(x + y) % 2 for x in range(w)], 1) for y in range(h)]),
        "gray4": png(w, h, 0, 4, [packed_row([x * 2 for x in range(w)], 4) for y in range(h)]),
        "rgb16": png(w, h, 2, 16, [b"".join(struct.pack(">HHH", x * 8000, y * 9000, 1234) for x in range(w))
                                   for y in range(h)]),
        "palette2-trns": png(w, h, 3, 2, [packed_row([(x + y) % 4 for x in range(w)], 2) for y in range(h)],
                             extra=chunk(b"PLTE", bytes([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]))
                             + chunk(b"tRNS", bytes([0, 128]))),
        "gray8-trns-key": png(w, h, 0, 8, [bytes(x * 30 for x in range(w)) for _ in range(h)],
                              extra=chunk(b"tRNS", struct.pack(">H", 60))),
        "rgb8-adam7": png(w, h, 2, 8, adam7_rows(w, h, rgb), interlace=1),
        "huge-header": png(100000, 100000, 2, 8, [b"\x00\x00\x00"]),
        "bad-crc": png(w, h, 0, 8, [bytes(w) for _ in range(h)], crc=0xDEADBEEF),
    }
    for name, data in images.items():
        for selector in SELECTORS[:2] if name in ("huge-header", "bad-crc") else SELECTORS:
            write("png", f"{name}-{selector:02x}", data + bytes([selector]))


def jpeg_seeds():
    sources = [os.path.join(FIXTURES, name) for name in sorted(os.listdir(FIXTURES)) if name.endswith(".jpg")]
    sources.append(os.path.join(HERE, "baseline.jpg"))
    for path in sources:
        with open(path, "rb") as file:
            data = file.read()
        stem = os.path.splitext(os.path.basename(path))[0]
        for selector in SELECTORS:
            write("jpeg", f"{stem}-{selector:02x}", data + bytes([selector]))


def jpeg_scans(data):
    """The (start, end) byte ranges of a JPEG's scans: each SOS marker to the marker after its entropy-coded data."""
    scans, index = [], 0
    while index + 1 < len(data):
        if data[index] != 0xFF or data[index + 1] != 0xDA:
            index += 1
            continue
        end = index + 2
        while end + 1 < len(data) and not (data[end] == 0xFF and data[end + 1] != 0 and not 0xD0 <= data[end + 1] <= 0xD7):
            end += 1
        scans.append((index, end))
        index = end
    return scans


def repeated_scan_seeds():
    """progressive.jpg with its last scan (a luma AC refinement) repeated 490 times: the work budget's case (issue 12),
    refused with IK_ERR_TOO_COMPLEX; the fuzzer mutates from there to the edges of the budget."""
    with open(os.path.join(FIXTURES, "progressive.jpg"), "rb") as file:
        data = file.read()
    start, end = jpeg_scans(data)[-1]
    hostile = data[:end] + data[start:end] * 490 + data[end:]
    for selector in SELECTORS:
        write("jpeg", f"repeated-refinement-{selector:02x}", hostile + bytes([selector]))


def http_seeds():
    requests = {
        "get": b"GET /api/images/0b6f3c1e-0000-4000-8000-000000000000?wait=5 HTTP/1.1\r\nHost: x\r\n\r\n",
        "post-length": b"POST /api/images?op=resize,grayscale&width=800 HTTP/1.1\r\nHost: x\r\n"
                       b"Content-Type: image/png\r\nContent-Length: 5\r\n\r\nhello",
        "chunked": b"POST /api/images HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"5;name=value\r\nhello\r\n3\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n",
        "pipelined": b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nHEAD /readyz HTTP/1.1\r\nHost: x\r\n"
                     b"Connection: close\r\n\r\n",
        "continue": b"POST /api/images HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
        "http10": b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "absolute-form": b"GET http://example.com/a%20b?x=%2e%2e&y=+ HTTP/1.1\r\nHost: example.com\r\n\r\n",
        "options-star": b"\r\nOPTIONS * HTTP/1.1\r\nHost: x\r\nContent-Length: 0, 0\r\n\r\n",
    }
    for index, (name, data) in enumerate(requests.items()):
        write("http_request", name, bytes([index]) + data)


def multipart_seeds():
    forms = {
        "file-and-metadata": (
            "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
            b"------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
            b"Content-Disposition: form-data; name=\"metadata\"\r\n\r\n{\"scan\":1}\r\n"
            b"------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n"
            b"Content-Disposition: form-data; name=\"file\"; filename=\"C:\\\\photos\\\\a.jpg\"\r\n"
            b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0\r\n--not-the-boundary\r\n"
            b"------WebKitFormBoundary7MA4YWxkTrZu0gW--\r\n"),
        "quoted-boundary": (
            "multipart/form-data; boundary=\"a b:c\"",
            b"preamble\r\n--a b:c  \r\nContent-Disposition: form-data; name=file; "
            b"filename*=UTF-8''%E2%80%AEgpj.exe\r\n\r\n\x89PNG\r\n--a b:c--\r\nepilogue"),
        "headerless-part": (
            "multipart/form-data; boundary=x",
            b"--x\r\n\r\nno headers\r\n--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"..\"\r\n\r\n"
            b"\r\n--x--"),
    }
    for name, (content_type, body) in forms.items():
        encoded = content_type.encode()
        write("multipart", name, bytes([len(encoded)]) + encoded + body)


def request_target_seeds():
    targets = {
        "origin": b"/api/images/0b6f3c1e-0000-4000-8000-000000000000/original?preview=256",
        "root": b"/",
        "star": b"*",
        "doubled-slash": b"//api/images",
        "encoded-slash": b"/%2Fapi/images",
        "absolute-doubled": b"http://x//api/images",
        "absolute-mixed-case": b"HTTP://Example.COM:80/api/images?x=1",
        "decoded-once": b"/a%2541/%252F",
        "utf8-and-bidi": b"/caf%C3%A9/%e2%80%ae",
        "dot-segments": b"/./a/../b",
        "backslash": b"/a\\b",
        "encoded-nul": b"/%00",
        # Found by the fuzz smoke: `/` then a combining mark is one grapheme cluster, not a `/` followed by text.
        "combining-after-slash": b"/%e3%80%ae",
    }
    for name, data in targets.items():
        write("request_target", name, data)


if __name__ == "__main__":
    for kind in ("png", "jpeg", "http_request", "multipart", "request_target"):
        shutil.rmtree(os.path.join(CORPUS, kind), ignore_errors=True)
    png_seeds()
    jpeg_seeds()
    repeated_scan_seeds()
    http_seeds()
    multipart_seeds()
    request_target_seeds()
