from __future__ import annotations

import random
import warnings

from cryptography.hazmat.primitives.asymmetric import dh

from lab.engine import keys


def test_it_agrees_with_cryptography_on_the_shared_secret() -> None:
    rng = random.Random(7)
    x_a, y_a = keys.dh_keypair(2, rng)
    x_b, y_b = keys.dh_keypair(2, rng)
    p = keys.MODP_GROUPS[2]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Diffie-Hellman over finite fields")
        params = dh.DHParameterNumbers(p, 2)
        private = dh.DHPrivateNumbers(x_a, dh.DHPublicNumbers(y_a, params)).private_key()
        theirs = private.exchange(dh.DHPublicNumbers(y_b, params).public_key())
    assert keys.dh_shared(2, x_a, y_b) == theirs == keys.dh_shared(2, x_b, y_a)


def test_it_derives_the_same_keys_from_the_same_seed() -> None:
    one = keys.phase1(2, "sha", "cisco123", random.Random(1))
    two = keys.phase1(2, "sha", "cisco123", random.Random(1))
    assert one == two
    a, b = keys.quick_mode(one, ("esp-aes-256", "esp-sha-hmac"), random.Random(3))
    assert len(a.enc_key) == 32 and len(a.auth_key) == 20
    assert a.spi != b.spi and a.enc_key != b.enc_key
    other = keys.phase1(2, "sha", "another-key", random.Random(1))
    assert other.skeyid_d != one.skeyid_d
