#!/usr/bin/env python3
"""
Exact reference for Black-Scholes-Merton prices and Greeks: writes risk/testdata/bs-reference.json.

    python3 scripts/reference/bs_reference.py          # needs mpmath (tested with 1.3.0)

Every input is a double; it is converted to an mpf exactly, and the closed forms below are
evaluated with 50 significant digits, then rounded once to the nearest double. The result is
therefore the correctly rounded value of the formula at the exact double inputs, which is what
risk/blackScholes.ts approximates (risk/blackScholes.reference.test.ts checks every case).

Model (risk/blackScholes.ts, docs/risk.md "Pricing"), s = +1 for a call, -1 for a put:

    d1 = (ln(S/K) + (r - q + sigma^2/2) T) / (sigma sqrt T),   d2 = d1 - sigma sqrt T
    price = s (S e^{-qT} N(s d1) - K e^{-rT} N(s d2))
    delta = s e^{-qT} N(s d1)
    gamma = e^{-qT} phi(d1) / (S sigma sqrt T)
    vega  = S e^{-qT} phi(d1) sqrt T                          (per 1.00 of sigma)
    theta = -dV/dT = -S e^{-qT} phi(d1) sigma / (2 sqrt T)
                     + s (q S e^{-qT} N(s d1) - r K e^{-rT} N(s d2))   (per year)
    rho   = dV/dr  = s K T e^{-rT} N(s d2)                    (per 1.00 of r, q held fixed)

Degenerate inputs follow the conventions documented in risk/blackScholes.ts:
- T = 0: the payoff; delta = s if in the money, s/2 at the strike, 0 out of it; other Greeks 0.
- K = 0: call = S e^{-qT} (delta e^{-qT}, theta q S e^{-qT}), put = 0.
- sigma = 0: the discounted forward payoff max(s (S e^{-qT} - K e^{-rT}), 0) and its
  derivatives; at the forward, weight 1/2 and vega S e^{-qT} sqrt(T) phi(0).

Self-check: on a sample of regular cases the closed-form Greeks are compared with mpmath's
numerical derivatives of the price formula (mp.diff at 50 digits), so a wrong Greek formula
(a sign, a missing q term) fails here rather than in the TypeScript test.
"""
import json
import math
import os
import random

import mpmath as mp

mp.mp.dps = 50

HOUR = 1.0 / (365.0 * 24.0)
DAY = 1.0 / 365.0
COLUMNS = ["type", "S", "K", "T", "r", "q", "sigma", "price", "delta", "gamma", "vega", "theta", "rho", "group"]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "risk", "testdata", "bs-reference.json")


def regular(is_call, S, K, T, r, q, sigma):
    """Closed-form price and Greeks (mpf in, mpf out) for T > 0, K > 0, sigma > 0."""
    s = 1 if is_call else -1
    sqrt_t = mp.sqrt(T)
    vol_t = sigma * sqrt_t
    d1 = (mp.log(S / K) + (r - q + sigma**2 / 2) * T) / vol_t
    d2 = d1 - vol_t
    dq, dr = mp.exp(-q * T), mp.exp(-r * T)
    n1, n2 = mp.ncdf(s * d1), mp.ncdf(s * d2)
    pdf1 = mp.npdf(d1)
    price = s * (S * dq * n1 - K * dr * n2)
    delta = s * dq * n1
    gamma = dq * pdf1 / (S * vol_t)
    vega = S * dq * pdf1 * sqrt_t
    theta = -S * dq * pdf1 * sigma / (2 * sqrt_t) + s * (q * S * dq * n1 - r * K * dr * n2)
    rho = s * K * T * dr * n2
    return [price, delta, gamma, vega, theta, rho]


def value(is_call, S, K, T, r, q, sigma):
    """Reference price and Greeks at the exact double inputs, with the edge-case conventions."""
    S, K, T, r, q, sigma = (mp.mpf(x) for x in (S, K, T, r, q, sigma))
    s = 1 if is_call else -1
    zero = mp.mpf(0)
    if T == 0:
        intrinsic = max(s * (S - K), zero)
        delta = mp.mpf(s) / 2 if S == K else (mp.mpf(s) if intrinsic > 0 else zero)
        return [intrinsic, delta, zero, zero, zero, zero]
    dq, dr = mp.exp(-q * T), mp.exp(-r * T)
    if K == 0:
        if is_call:
            return [S * dq, dq, zero, zero, q * S * dq, zero]
        return [zero] * 6
    if sigma == 0:
        m = s * (S * dq - K * dr)
        w = mp.mpf(1) if m > 0 else (zero if m < 0 else mp.mpf(1) / 2)
        vega = S * dq * mp.sqrt(T) * mp.npdf(0) if m == 0 else zero
        return [max(m, zero), s * w * dq, zero, vega, s * w * (q * S * dq - r * K * dr), s * w * K * T * dr]
    return regular(is_call, S, K, T, r, q, sigma)


def self_check(cases, rng, count=150):
    """Closed-form Greeks against mp.diff of the closed-form price, at 50 digits."""
    regular_cases = [c for c in cases if c[3] > 0 and c[2] > 0 and c[6] > 0]
    for c in rng.sample(regular_cases, min(count, len(regular_cases))):
        is_call = c[0] == "C"
        S, K, T, r, q, sigma = (mp.mpf(x) for x in c[1:7])
        got = regular(is_call, S, K, T, r, q, sigma)
        price = lambda S_=S, K_=K, T_=T, r_=r, q_=q, v_=sigma: regular(is_call, S_, K_, T_, r_, q_, v_)[0]
        want = [
            mp.diff(lambda x: price(S_=x), S),
            mp.diff(lambda x: price(S_=x), S, 2),
            mp.diff(lambda x: price(v_=x), sigma),
            -mp.diff(lambda x: price(T_=x), T),
            mp.diff(lambda x: price(r_=x), r),
        ]
        for name, g, w in zip(["delta", "gamma", "vega", "theta", "rho"], got[1:], want):
            # Relative, with an absolute floor far below double precision (mp.diff's own
            # error near 1e-50 when the Greek underflows in a tail).
            scale = max(abs(w), mp.mpf(10) ** -35 * (S + 1 / S))
            if abs(g - w) > mp.mpf(10) ** -25 * scale:
                raise AssertionError(f"{name} closed form disagrees with mp.diff for {c[:7]}: {g} vs {w}")


def grid():
    """(type, S, K, T, r, q, sigma, group) tuples: a full grid, edge cases and random cases."""
    cases = []
    expiries = [HOUR, DAY, 7 * DAY, 30 * DAY, 0.25, 1.0, 3.0]
    ratios = [0.3, 0.5, 0.8, 0.95, 1.0, 1.05, 1.25, 2.0, 3.0]
    vols = [0.05, 0.2, 0.8, 3.0]
    rates = [(0.0, 0.0), (0.05, 0.02), (-0.01, 0.08)]
    # Full grid at S = 100 (prices scale with S; other spots are covered below).
    for T in expiries:
        for ratio in ratios:
            for sigma in vols:
                for r, q in rates:
                    for t in "CP":
                        cases.append((t, 100.0, 100.0 * ratio, T, r, q, sigma, "grid"))
    # At the forward: K = S e^{(r-q)T} rounded, where ln(S/K) and (r-q)T cancel.
    for T in expiries:
        for sigma in [0.05, 0.8]:
            for r, q in [(0.05, 0.02), (0.1, 0.0)]:
                for t in "CP":
                    cases.append((t, 100.0, 100.0 * math.exp((r - q) * T), T, r, q, sigma, "forward"))
    # Expiry, zero vol, zero strike, tiny vol.
    for t in "CP":
        for K in [50.0, 99.0, 100.0, 101.0, 200.0]:
            cases.append((t, 100.0, K, 0.0, 0.05, 0.02, 0.5, "expiry"))
            for r, q in [(0.05, 0.02), (0.0, 0.0)]:
                cases.append((t, 100.0, K, 0.5, r, q, 0.0, "zero-vol"))
                for sigma in [1e-4, 1e-3, 0.01]:
                    for T in [HOUR, 0.5, 3.0]:
                        cases.append((t, 100.0, K, T, r, q, sigma, "tiny-vol"))
        cases.append((t, 100.0, 0.0, 1.0, 0.05, 0.02, 0.5, "zero-strike"))
        cases.append((t, 100.0, 100.0, 0.5, 0.0, 0.0, 0.0, "zero-vol"))
        # Deep in/out of the money: N and phi far in the tails, down to underflow.
        for ratio in [0.3, 3.0, 0.05, 20.0, 1e-3, 1e3]:
            for sigma in [0.05, 0.3, 3.0]:
                for T in [HOUR, DAY, 1.0, 3.0]:
                    cases.append((t, 100.0, 100.0 * ratio, T, 0.03, 0.01, sigma, "deep"))
    # Other spots: a BTC-like and a small-priced underlying.
    for S in [0.37, 2750.0, 64123.5]:
        for T in [HOUR, 30 * DAY, 2.0]:
            for ratio in [0.3, 0.9, 1.0, 1.1, 3.0]:
                for sigma in [0.05, 0.6, 3.0]:
                    for t in "CP":
                        cases.append((t, S, S * ratio, T, 0.04, 0.01, sigma, "spot"))
    # Random cases over the whole domain (fixed seed: the file is reproducible).
    rng = random.Random(20240601)
    for _ in range(1000):
        S = 10 ** rng.uniform(-2, 6)
        K = S * math.exp(rng.uniform(math.log(0.3), math.log(3.0)))
        T = math.exp(rng.uniform(math.log(HOUR), math.log(3.0)))
        sigma = math.exp(rng.uniform(math.log(0.05), math.log(3.0)))
        r = rng.uniform(-0.02, 0.15)
        q = rng.uniform(-0.05, 0.1)
        cases.append((rng.choice("CP"), S, K, T, r, q, sigma, "random"))
    return cases


def main():
    cases = grid()
    rows = []
    for t, S, K, T, r, q, sigma, group in cases:
        vals = value(t == "C", S, K, T, r, q, sigma)
        rows.append([t, S, K, T, r, q, sigma] + [float(v) for v in vals] + [group])
    self_check(rows, random.Random(7))
    doc = {
        "description": "Black-Scholes-Merton price and Greeks at exact double inputs, mpmath 50 digits, rounded to the nearest double",
        "generator": "scripts/reference/bs_reference.py",
        "mpmath": mp.__version__,
        "dps": mp.mp.dps,
        "units": "vega per 1.00 vol, theta per year (-dV/dT), rho per 1.00 rate; T in years",
        "columns": COLUMNS,
        "cases": rows,
    }
    with open(OUT, "w") as f:
        f.write("{\n")
        for key in ["description", "generator", "mpmath", "dps", "units", "columns"]:
            f.write(f"  {json.dumps(key)}: {json.dumps(doc[key])},\n")
        f.write('  "cases": [\n')
        f.write(",\n".join("    " + json.dumps(row, separators=(",", ":")) for row in rows))
        f.write("\n  ]\n}\n")
    print(f"wrote {len(rows)} cases to {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
