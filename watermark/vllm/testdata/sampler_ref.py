#!/usr/bin/env python3
"""A second implementation of vLLM's watermark samplers on a fixed tiny
distribution, for known-answer vectors of the Go samplers (sample.go,
engine.go): red-green's green lists and biased logits, Gumbel-max's
choice, dual-key derived keys, and whole Gumbel generations with and
without vLLM's context deduplication. Written from vLLM's red_green.py
(381f9454), gumbel.py and config/watermarking.py (01c268bc),
gpu_sampler.py and worker/gpu/sample/watermark.py (01b21056); float32
arithmetic by rounding each double result through struct. Uses the PRFs
of prf_ref.py. Prints one JSON object per case."""
import hashlib
import json
import math
import struct

from prf_ref import M, hmac_word, uniform, word

V = 16


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def uniform_of(prf, key, context, token):
    if prf == "philox4x32-10-v1":
        return uniform(word(key, [c & M for c in context], token & M))
    return uniform(hmac_word(key, context, token))


# Processed logits (after temperature) of the tiny model: fixed, float32.
LOGITS = [f32(math.sin(3.7 * i + 1.3) * 2.5 - 0.1 * i) for i in range(V)]


def green(prf, key, context, gamma):
    g = f32(gamma)
    return [uniform_of(prf, key, context, t) < g for t in range(V)]


def biased(logits, greens, delta):
    d = f32(delta)
    return [f32(l + d) if gr else l for l, gr in zip(logits, greens)]


def gumbel_argmax(prf, key, context, logits):
    best, arg = None, -1
    for t, l in enumerate(logits):
        u = uniform_of(prf, key, context, t)
        noise = f32(-f32(math.log(f32(-f32(math.log(u))))))
        v = f32(l + noise)
        if arg < 0 or v > best:
            best, arg = v, t
    return arg, best


def derive(key, domain):
    digest = hashlib.sha256(domain + key.to_bytes(8, "big")).digest()
    return int.from_bytes(digest[:8], "big")


def generate(prf, key, width, n, dedup):
    """Gumbel generation with the fixed logits; a repeated context falls
    back on the ordinary sampler, here a fixed sequence: its k-th call
    returns (5k + 3) mod V."""
    out, skipped = [], []
    for pos in range(n):
        ctx = ([-1] * width + out)[-width:] if width else []
        history = [([-1] * width + out[:p])[-width:] for p in range(pos)]
        if dedup and ctx in history:
            out.append((5 * len(skipped) + 3) % V)
            skipped.append(pos)
        else:
            out.append(gumbel_argmax(prf, key, ctx, LOGITS)[0])
    return out, skipped


def main():
    keys = {"philox4x32-10-v1": [42, 0xFFFFFFFFFFFFFFFF], "hmac-sha256-v1": [7, 2**255 + 3]}
    contexts = [[-1, -1, -1, -1], [-1, -1, -1, 5], [1, 2, 3, 4], [15, 0, 15, 0]]
    print(json.dumps({"case": "logits", "logits": LOGITS}))
    for prf, ks in keys.items():
        for key in ks:
            for ctx in contexts:
                for gamma, delta in [(0.25, 2.0), (0.7, 1.3)]:
                    gr = green(prf, key, ctx, gamma)
                    print(json.dumps({"case": "red_green", "prf": prf, "key": str(key), "context": ctx, "gamma": gamma, "delta": delta,
                                      "green": [int(x) for x in gr], "biased": biased(LOGITS, gr, delta)}))
                tok, val = gumbel_argmax(prf, key, ctx, LOGITS)
                print(json.dumps({"case": "gumbel", "prf": prf, "key": str(key), "context": ctx, "token": tok, "value": val}))
            for width, dedup in [(1, True), (1, False), (2, True)]:
                toks, skipped = generate(prf, key, width, 24, dedup)
                print(json.dumps({"case": "generate", "prf": prf, "key": str(key), "width": width, "dedup": dedup, "tokens": toks, "skipped": skipped}))
    for key in [0, 42, 2**64 - 1]:
        for domain in [b"key_a", b"key_b"]:
            print(json.dumps({"case": "derive", "key": str(key), "domain": domain.decode(), "derived": str(derive(key, domain))}))


if __name__ == "__main__":
    main()
