#!/usr/bin/python3
"""The anchor of `clinlora bench tokenize --sentencepiece FILE`: sentencepiece's own C++ encoder on the very notes the
bench tokenized, and whether its ids are the bench's.

    sentencepiece_anchor.py TOKENIZER.model NOTES.json IDS.json ROUNDS

NOTES.json is a list of texts, IDS.json the bench's ids for each (no BOS). Prints one JSON object: the median seconds
of a batch encode (sentencepiece's default threads) and of one encode per note, the pieces, and how many notes' ids
agree. Needs python3-sentencepiece; a bench tool, never part of a service.
"""
import json
import statistics
import sys
import time

import sentencepiece as spm

model, notes_file, ids_file, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sp = spm.SentencePieceProcessor(model_file=model)
with open(notes_file, encoding="utf-8") as f:
    texts = json.load(f)
with open(ids_file, encoding="utf-8") as f:
    ours = json.load(f)


def median_seconds(encode):
    encode()  # warm-up
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        encode()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


expected = sp.encode(texts)
print(json.dumps({
    "pieces": sp.get_piece_size(),
    "notes": len(texts),
    "agree": sum(1 for a, b in zip(expected, ours) if a == b),
    "batch_s": median_seconds(lambda: sp.encode(texts)),
    "one_s": median_seconds(lambda: [sp.encode(t) for t in texts]),
}))
