"""Request and trace ids for the invocation path, made without a system call.

`uuid.uuid4()` reads 16 bytes from the kernel and builds a UUID object; the invocation path made five per
request (7 % of the front's CPU in a profile). These are formatted from a Mersenne Twister seeded from the
kernel once per process: ids must be unique and well spread, not secret (AWS's are shown to callers too).
"""

from __future__ import annotations

import random

_rand = random.Random()  # seeded from os.urandom; the process's own, whatever else uses `random`
_VERSION_4 = 0x4000 << 64  # the version nibble, 4 (as uuid.UUID(version=4) sets it)
_VARIANT = 0x8000 << 48  # RFC 4122's variant bits, 10
_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))


def request_id() -> str:
    """A random (version 4) UUID string, like `str(uuid.uuid4())`."""
    h = f"{_rand.getrandbits(128) & _CLEAR | _VERSION_4 | _VARIANT:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def hex_id(chars: int) -> str:
    """`chars` random lowercase hex digits."""
    return f"{_rand.getrandbits(4 * chars):0{chars}x}"
