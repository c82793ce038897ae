#!/usr/bin/env python3
"""Writes the journal fuzzer's synthetic seeds into a folder: journals
built by hand from journal_format.h's layout (valid ones with messages,
padding, unpublished claims, holes and torn records, deferred and finished
states), and hostile ones (wrong magic, version, sizes, positions). The
real journals, left by processes that died (journal_writer_child.exe), are
the files in workerdll/fuzz/seeds/; each seed goes in whole and in the
compact form fuzz_journal.c also reads. Usage: make-seeds.py <folder>
[journal files...]"""
import os
import struct
import sys

HEADER_SIZE = 4096
RING_MIN = 64 * 1024
RECORD_ALIGNMENT = 64
RECORD_HEADER_SIZE = 32
MASK64 = (1 << 64) - 1

STATE_TAKEN, STATE_DEFERRED, STATE_FINISHED, STATE_PADDING, STATE_DROPPED, STATE_REPEAT = 1, 2, 4, 8, 16, 32


def record_check(position, size):
    """journal_record_check of journal_format.h."""
    mixed = ((position ^ ((size << 40) & MASK64) ^ 0x7477736A726E6C31) * 0x9E3779B97F4A7C15) & MASK64
    mixed ^= mixed >> 29
    return ((mixed >> 32) | 1) & 0xFFFFFFFF


def record_length(size):
    return (RECORD_HEADER_SIZE + size + RECORD_ALIGNMENT - 1) & ~(RECORD_ALIGNMENT - 1)


class Journal:
    def __init__(self, ring_size=RING_MIN, message_limit=1024, owner_key=0x1234):
        self.ring_size = ring_size
        self.message_limit = message_limit
        self.owner_key = owner_key
        self.ring = bytearray(ring_size)
        self.earlier_owners = []  # (end, process id, start): journal_format.h
        self.tail = 0
        self.release = 0
        self.next_sequence = 1

    def header(self, magic=b"TWSHJRNL", version=1, header_size=HEADER_SIZE, ring_size=None):
        header = bytearray(HEADER_SIZE)
        name = "test_front.dll".encode("utf-16-le")
        struct.pack_into("<8sIIQQIIQQII", header, 0, magic, version, header_size,
                         self.ring_size if ring_size is None else ring_size, self.owner_key, 4242,
                         self.message_limit, 133000000000000000, 133000000000000001, len(name) // 2, 0)
        header[64:64 + len(name)] = name
        struct.pack_into("<Q", header, 1024, self.tail)
        struct.pack_into("<QQ", header, 1088, self.release, self.next_sequence)
        struct.pack_into("<I", header, 1104, len(self.earlier_owners))
        for i, (end, process_id, started) in enumerate(self.earlier_owners):
            struct.pack_into("<QIIQ", header, 1112 + 24 * i, end, process_id, 0, started)
        return header

    def put(self, position, stamp, size, check, sequence=0, state=0, producer=7, payload=b""):
        offset = position % self.ring_size
        struct.pack_into("<QIIQII", self.ring, offset, stamp, size, check, sequence, state, producer)
        self.ring[offset + RECORD_HEADER_SIZE:offset + RECORD_HEADER_SIZE + len(payload)] = payload

    def message(self, size, state=0, published=True, sequence=0):
        room = self.ring_size - self.tail % self.ring_size
        length = record_length(size)
        if length > room:
            self.put(self.tail, self.tail + 1, room - RECORD_HEADER_SIZE,
                     record_check(self.tail, room - RECORD_HEADER_SIZE), state=STATE_PADDING)
            self.tail += room
        payload = bytes((self.tail + i) & 0xFF for i in range(size))
        self.put(self.tail, self.tail + 1 if published else 0, size, record_check(self.tail, size),
                 sequence=sequence, state=state, payload=payload)
        position = self.tail
        self.tail += length
        return position

    def image(self, **header):
        return bytes(self.header(**header)) + bytes(self.ring)


def compact(image):
    """The compact form fuzz_journal.c reads (build_compact): the header's
    first 64 bytes, its tail, release point and next sequence, then the
    ring's bytes from the release point to the tail and one record more."""
    if len(image) < HEADER_SIZE + RING_MIN:
        return None
    ring_size = struct.unpack_from("<Q", image, 16)[0]
    tail, = struct.unpack_from("<Q", image, 1024)
    release, next_sequence = struct.unpack_from("<QQ", image, 1088)
    if len(image) != HEADER_SIZE + ring_size or not RING_MIN <= ring_size <= 1024 * 1024 or tail < release:
        return None
    ring = image[HEADER_SIZE:]
    length = min(tail - release + RECORD_ALIGNMENT, ring_size)
    start = release % ring_size
    walked = (ring + ring)[start:start + length]
    return image[:64] + struct.pack("<QQQ", tail, release, next_sequence) + walked


def seeds():
    found = {}

    plain = Journal()
    for size in (0, 1, 31, 32, 33, 100, 1024):
        plain.message(size)
    found["plain"] = plain.image()

    states = Journal()
    states.message(16, state=STATE_TAKEN | STATE_FINISHED, sequence=1)
    states.release = states.tail
    states.message(16, state=STATE_TAKEN | STATE_DEFERRED, sequence=2)
    states.message(16, state=STATE_TAKEN, sequence=3)
    states.message(16, state=STATE_TAKEN | STATE_REPEAT, sequence=4)
    states.message(16, state=STATE_DROPPED)
    states.message(16)
    states.next_sequence = 5
    found["states"] = states.image()

    # Adopted twice: two dead writers' ranges, then the owner's.
    adopted = Journal()
    for owner in (101, 202):
        for size in (8, 40):
            adopted.message(size)
        adopted.earlier_owners.append((adopted.tail, owner, 133000000000000000 + owner))
    adopted.message(8)
    found["earlier-owners"] = adopted.image()
    # Hostile tables: ends that decrease, one past the tail, too many entries.
    decreasing = Journal()
    decreasing.message(8)
    decreasing.message(8)
    decreasing.earlier_owners = [(decreasing.tail, 1, 1), (RECORD_ALIGNMENT, 2, 2)]
    found["earlier-owners-decreasing"] = decreasing.image()
    beyond = Journal()
    beyond.message(8)
    beyond.earlier_owners = [(beyond.tail + RECORD_ALIGNMENT, 1, 1)]
    found["earlier-owners-beyond-tail"] = beyond.image()
    too_many = Journal()
    too_many.message(8)
    too_many.earlier_owners = [(0, i, i) for i in range(120)]
    too_many_image = bytearray(too_many.image())
    struct.pack_into("<I", too_many_image, 1104, 121)
    found["earlier-owners-too-many"] = bytes(too_many_image)

    holes = Journal()
    holes.message(20)
    holes.message(20, published=False)            # a claim a dead process never published
    holes.tail += 3 * RECORD_ALIGNMENT             # a hole: nothing written
    bad = holes.message(20)
    struct.pack_into("<I", holes.ring, bad % holes.ring_size + 12, 0xDEADBEEF)  # bad check: torn
    big = holes.message(20)
    struct.pack_into("<II", holes.ring, big % holes.ring_size + 8, 2000, record_check(big, 2000))  # over the limit
    huge = holes.message(20)
    struct.pack_into("<II", holes.ring, huge % holes.ring_size + 8, 0xFFFFFFF0, record_check(huge, 0xFFFFFFF0))
    holes.message(20)
    found["holes"] = holes.image()

    lapped = Journal()
    lapped.tail = lapped.release = 3 * lapped.ring_size - 5 * RECORD_ALIGNMENT
    for size in (100, 100, 300, 10):
        lapped.message(size)
    found["lapped"] = lapped.image()

    full = Journal()
    while full.tail + record_length(200) <= full.ring_size:
        full.message(200)
    found["full"] = full.image()

    found["wrong-magic"] = Journal().image(magic=b"TWSHJRNX")
    found["other-version"] = Journal().image(version=2)
    found["header-size"] = Journal().image(header_size=512)
    found["ring-too-small"] = Journal().image(ring_size=4096)
    found["ring-unaligned"] = Journal().image(ring_size=RING_MIN + 100)
    limit = Journal(message_limit=RING_MIN)
    found["limit-too-big"] = limit.image()
    backwards = Journal()
    backwards.release, backwards.tail = 4096, 64
    found["release-after-tail"] = backwards.image()
    beyond = Journal()
    beyond.tail = 2 * beyond.ring_size
    found["tail-beyond-ring"] = beyond.image()
    odd = Journal()
    odd.tail = 65
    found["tail-unaligned"] = odd.image()
    found["truncated"] = plain.image()[:HEADER_SIZE + 1000]
    found["empty"] = b""
    return found


def write_with_compact(folder, name, image):
    with open(os.path.join(folder, name), "wb") as out:
        out.write(image)
    small = compact(image)
    if small is not None:
        with open(os.path.join(folder, name + "-compact"), "wb") as out:
            out.write(small)


def main():
    """make-seeds.py <folder> [journal files...]: the synthetic seeds, and
    each journal file given, each with its compact form, into <folder>."""
    folder = sys.argv[1]
    os.makedirs(folder, exist_ok=True)
    for name, image in seeds().items():
        write_with_compact(folder, "synthetic-" + name, image)
    for path in sys.argv[2:]:
        with open(path, "rb") as journal:
            write_with_compact(folder, os.path.basename(path), journal.read())


if __name__ == "__main__":
    main()
