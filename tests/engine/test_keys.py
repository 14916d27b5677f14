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


def _hmac(name: str, key: bytes, data: bytes) -> bytes:
    import hmac as std_hmac

    return std_hmac.new(key, data, name).digest()


def _prf_plus(name: str, key: bytes, seed: bytes, length: int) -> bytes:
    """RFC 7296 2.13 written out independently, with the standard library's hmac."""
    out, block = b"", b""
    for n in range(1, 256):
        block = _hmac(name, key, block + seed + bytes([n]))
        out += block
        if len(out) >= length:
            break
    return out[:length]


def test_it_derives_ikev2_keys_as_rfc_7296_section_2_14_says() -> None:
    k = keys.ikev2_sa(14, "sha256", "aes-256", "sha", random.Random(5))
    assert k.shared_secret == keys.dh_shared(
        14, keys.dh_keypair(14, random.Random(5))[0], k.public_r
    )
    skeyseed = _hmac("sha256", k.nonce_i + k.nonce_r, k.shared_secret)
    assert k.skeyseed == skeyseed
    stream = _prf_plus(
        "sha256", skeyseed, k.nonce_i + k.nonce_r + k.spi_i + k.spi_r, 32 + 40 + 64 + 64
    )
    assert k.sk_d == stream[:32]
    assert (k.sk_ai, k.sk_ar) == (stream[32:52], stream[52:72])
    assert (k.sk_ei, k.sk_er) == (stream[72:104], stream[104:136])
    assert (k.sk_pi, k.sk_pr) == (stream[136:168], stream[168:200])


def test_it_takes_ikev2_child_keys_initiator_first_from_sk_d() -> None:
    k = keys.ikev2_sa(2, "sha", "aes-256", "sha", random.Random(9))
    i_to_r, r_to_i, ni, nr = keys.ikev2_child(
        k, ("esp-aes-256", "esp-sha-hmac"), random.Random(1), first=True
    )
    assert (ni, nr) == (k.nonce_i, k.nonce_r)  # the first child uses the IKE_SA_INIT nonces
    km = _prf_plus("sha1", k.sk_d, ni + nr, 2 * (32 + 20))
    assert i_to_r.enc_key + i_to_r.auth_key + r_to_i.enc_key + r_to_i.auth_key == km
    rekeyed = keys.ikev2_child(k, ("esp-aes-256", "esp-sha-hmac"), random.Random(1), first=False)
    assert rekeyed[2] != ni and rekeyed[0].enc_key != i_to_r.enc_key


def test_it_rekeys_the_ikev2_sa_from_the_old_sk_d() -> None:
    old = keys.ikev2_sa(14, "sha", "aes", "sha", random.Random(2))
    new = keys.ikev2_sa(14, "sha", "aes", "sha", random.Random(3), old=old)
    assert new.skeyseed == _hmac("sha1", old.sk_d, new.shared_secret + new.nonce_i + new.nonce_r)
    assert new.spi_i != old.spi_i and new.sk_d != old.sk_d


def test_the_ikev2_prf_matches_the_rfc_4231_hmac_sha256_vector() -> None:
    # RFC 4231 test case 2; prf+'s first block is prf(K, S | 0x01) (RFC 7296 2.13).
    seed = b"what do ya want for nothing"
    assert keys.prf_plus("sha256", b"Jefe", seed, 32) == _hmac("sha256", b"Jefe", seed + b"\x01")
    assert keys._prf("sha256", b"Jefe", b"what do ya want for nothing?").hex() == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )
