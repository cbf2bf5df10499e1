"""Drawing codes with segno: the smallest QR version that holds the payload."""

from __future__ import annotations

import io

import segno


def qr_svg(payload: str, *, scale: int = 8) -> str:
    buffer = io.BytesIO()
    segno.make(payload, micro=False).save(buffer, kind="svg", scale=scale, border=4, xmldecl=False)
    return buffer.getvalue().decode()


def qr_png(payload: str, *, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    segno.make(payload, micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
