#!/usr/bin/env python3
"""Keeps the PAT service's tokens whose checksum holds.

One candidate per line on stdin (a scanner's findings), the tokens whose
last 6 characters are the CRC32 (IEEE) of everything before them, in
base62 (0-9A-Za-z, most significant digit first), on stdout. A mistyped,
truncated or made-up match fails; docs/leaks.md shows it after gitleaks
and trufflehog.
"""
import sys
import zlib

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def checksum(s):
    v = zlib.crc32(s.encode("ascii")) & 0xFFFFFFFF
    digits = []
    for _ in range(6):
        digits.append(ALPHABET[v % 62])
        v //= 62
    return "".join(reversed(digits))


def valid(token):
    return len(token) > 6 and token.isascii() and token[-6:] == checksum(token[:-6])


for line in sys.stdin:
    candidate = line.strip()
    if valid(candidate):
        print(candidate)
