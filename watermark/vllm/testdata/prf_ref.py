#!/usr/bin/env python3
"""A second implementation of vLLM's philox4x32-10-v1 and hmac-sha256-v1
PRFs, with plain integers and the standard library, written from vLLM's
prfs/philox.py (commit 373305d6), prfs/hmac_sha256.py (commit 3da8712b)
and prfs/base.py (commit 773dc86d), for known-answer vectors of the Go
code (watermark/vllm). Prints one JSON object per case."""
import hashlib
import hmac
import json
import struct

M = 0xFFFFFFFF


def block(ctr, key):
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    for r in range(10):
        p0 = 0xD2511F53 * c0
        p1 = 0xCD9E8D57 * c2
        hi0, lo0 = p0 >> 32, p0 & M
        hi1, lo1 = p1 >> 32, p1 & M
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
        k0, k1 = (k0 + 0x9E3779B9) & M, (k1 + 0xBB67AE85) & M
    return [c0, c1, c2, c3]


def word(key, context, token, stream=0):
    k0, k1 = key & M, key >> 32
    state = [0x574D4358, len(context), 0, 0]
    for off in range(0, len(context), 4):
        blk = [context[off + i] if off + i < len(context) else M - i for i in range(4)]
        state = block([state[i] ^ blk[i] for i in range(4)], [k0 ^ off, k1])
    s0, s1 = stream & M, stream >> 32
    out = block([token >> 2, state[0], state[1], state[2]], [k0 ^ state[3] ^ s1, k1 ^ 0x574D544B ^ s0])
    return out[token & 3]


def uniform(v):
    import struct
    x = ((v >> 8) + 1.0) / (2 ** 24 + 1)
    return struct.unpack("<f", struct.pack("<f", x))[0]


# The block function first meets Random123's known answers.
assert block([0, 0, 0, 0], [0, 0]) == [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
assert block([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]) == [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]

def hmac_word(key, context, token):
    msg = bytearray(b"vllm-watermark-hmac-sha256-v1\0")
    msg += struct.pack("<I", len(context))
    for c in context:
        msg += struct.pack("<q", c)
    msg += struct.pack("<q", token)
    digest = hmac.digest(key.to_bytes(32, "little"), bytes(msg), hashlib.sha256)
    return int.from_bytes(digest[:4], "little")


def main():
    cases = [
        (0, [], 0, 0),
        (42, [1, 2, 3, 4], 7, 0),
        (0xFFFFFFFFFFFFFFFF, [151643, 9707, 11], 128000, 0),
        (0x0123456789ABCDEF, [5, 6, 7, 8, 9], 3, 0x1122334455667788),
        (2**63 + 5, [0xFFFFFFFF] * 9, 0xFFFFFFFF, 1),
    ]
    for key, context, token, stream in cases:
        v = word(key, context, token, stream)
        print(json.dumps({"prf": "philox4x32-10-v1", "key": str(key), "context": context, "token": token, "stream": str(stream), "word": v, "uniform": uniform(v)}))

    hmac_cases = [
        (0, [], 0),
        (1, [1, 2, 3, 4], 7),
        (2**256 - 1, [151643, -1, 11], 128000),
        (0x0123456789ABCDEF << 128 | 0xFEDCBA9876543210, list(range(16)), 2**63 - 1),
    ]
    for key, context, token in hmac_cases:
        v = hmac_word(key, context, token)
        print(json.dumps({"prf": "hmac-sha256-v1", "key": str(key), "context": context, "token": token, "stream": "0", "word": v, "uniform": uniform(v)}))


if __name__ == "__main__":
    main()
