"""Boot modules survive boot: the kernel checksums each module after its
self-tests have written to every frame it could allocate, and the checksums
must match what the host computed from the files it passed in."""

import os
import random
import tempfile
import zlib

from lib import Case, check_status, check_verdict, PASS, require

# Deterministic contents, sizes that are not multiples of a page.
_SIZES = {"blob-a": 700 * 1024 + 123, "blob-b": 64 * 1024 + 7}
_DIR = tempfile.mkdtemp(prefix="lstar-modules-")
_FILES = {}
for name, size in _SIZES.items():
    data = random.Random(name).randbytes(size)
    path = os.path.join(_DIR, name + ".bin")
    with open(path, "wb") as f:
        f.write(data)
    _FILES[name] = (path, size, zlib.crc32(data))


def check_modules(boot):
    mods = boot.records("module")
    require(len(mods) == len(_FILES), f"kernel reported {len(mods)} modules, expected {len(_FILES)}")
    for rec in mods:
        name = rec.get("string")
        require(name in _FILES, f"unexpected module string {name!r}")
        _, size, crc = _FILES[name]
        require(rec.get("bytes") == size, f"module {name}: bytes={rec.get('bytes')}, expected {size}")
        require(rec.get("crc32") == crc,
                f"module {name}: crc32={rec.get('crc32'):#010x}, expected {crc:#010x} (overwritten?)")
    check_verdict(boot, "pass")
    check_status(boot, PASS)


_ARGS = ["--smp", "2", "--cmdline", "shutdown", "--no-default-modules"]
for name, (path, _, _) in _FILES.items():
    _ARGS += ["--module", f"{path}:{name}"]

CASES = [
    Case("qemu-modules-intact", _ARGS, check_modules),
]
