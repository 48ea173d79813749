"""An independent pure-Python Philox-4x32-10 (written from the paper's definition), the
reference that tests hold steepest's random draws and stochastic rounding to."""
M32 = 0xFFFFFFFF


def philox(ctr, key):
    """Philox-4x32-10 of a 4-word counter and a 2-word key (Salmon et al., SC 2011)."""
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    for r in range(10):
        if r:
            k0, k1 = (k0 + 0x9E3779B9) & M32, (k1 + 0xBB67AE85) & M32
        p0, p1 = 0xD2511F53 * c0, 0xCD9E8D57 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & M32, (p0 >> 32) ^ c3 ^ k1, p0 & M32
    return c0, c1, c2, c3
