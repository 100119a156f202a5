#!/usr/bin/env python3
"""Expected ids of bert-base-uncased's tokenizer.json for clinical sentences, by an independent implementation.

The algorithm of BERT's original (slow) tokenizer, written out here in plain Python: clean the text (drop control
characters, every whitespace becomes a space), put spaces around CJK characters, lowercase and strip accents (NFD,
drop combining marks), split on whitespace and punctuation, then WordPiece each word greedily (longest prefix in the
vocabulary, continuations as "##…", a word longer than 100 characters or with no match is [UNK]); [CLS] in front and
[SEP] after. The vocabulary is read from tokenizer.json's model.vocab. No tokenizers library is used.

Run: python3 make_expected_ids.py  (writes expected_ids.json beside it)
"""
import json
import os
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))

SENTENCES = [
    "Patient is a 67 y/o male with h/o CHF (EF 35%), s/p CABG x3 in [**2150-3-4**].",
    "Chief Complaint: SOB, CP radiating to L arm; troponin 0.45 ng/mL.",
    "BP 142/88, HR 112, RR 24, SpO2 91% on 4L NC. Afebrile.",
    "Discharge Diagnosis:\n1. Acute on chronic systolic heart failure\n2. NSTEMI",
    "Meds: metoprolol succinate 25 mg PO daily, furosemide 40mg IV BID, ASA 81.",
    "CXR: bilateral pleural effusions, cardiomegaly; no pneumothorax.",
    "Pt intubated for hypoxemic respiratory failure, extubated on HD#3.",
    "Café-au-lait macules noted; naïve to anticoagulation (Coumadin®).",
    "Temp 38.9\u00b0C, WBC 17.2K, lactate 4.1 -> sepsis protocol initiated.",
    "Follow up with Dr. [**Last Name (STitle) 1234**] in 2 weeks\t(cardiology).",
    "Hyperkalemia (K+ 6.1) treated w/ calcium gluconate, insulin/D50, kayexalate.",
    "ICD-9 428.0, 410.71; procedure 36.15 — CABG.",
    "Pneumonoultramicroscopicsilicovolcanoconiosis was ruled out.",
    "Mother speaks only 中文; interpreter used.",
]


def is_whitespace(c):
    return c in " \t\n\r" or unicodedata.category(c) == "Zs"


def is_control(c):
    if c in "\t\n\r":
        return False
    return unicodedata.category(c).startswith("C")


def is_punctuation(c):
    cp = ord(c)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(c).startswith("P")


def is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def basic_tokens(text):
    out = []
    for c in text:
        if ord(c) == 0 or ord(c) == 0xFFFD or is_control(c):
            continue
        out.append(" " if is_whitespace(c) else c)
    text = "".join(" " + c + " " if is_cjk(ord(c)) else c for c in out)
    text = text.lower()
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    words = []
    for w in text.split():
        cur = ""
        for c in w:
            if is_punctuation(c):
                if cur:
                    words.append(cur)
                    cur = ""
                words.append(c)
            else:
                cur += c
        if cur:
            words.append(cur)
    return words


def wordpiece(word, vocab):
    if len(word) > 100:
        return ["[UNK]"]
    pieces, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            sub = word[start:end] if start == 0 else "##" + word[start:end]
            if sub in vocab:
                found = sub
                break
            end -= 1
        if found is None:
            return ["[UNK]"]
        pieces.append(found)
        start = end
    return pieces


def main():
    with open(os.path.join(HERE, "tokenizer.json"), encoding="utf-8") as f:
        vocab = json.load(f)["model"]["vocab"]
    cases = []
    for s in SENTENCES:
        tokens = ["[CLS]"] + [p for w in basic_tokens(s) for p in wordpiece(w, vocab)] + ["[SEP]"]
        cases.append({"text": s, "tokens": tokens, "ids": [vocab[t] for t in tokens]})
    with open(os.path.join(HERE, "expected_ids.json"), "w", encoding="utf-8") as f:
        json.dump(cases, f, indent=1, ensure_ascii=False)
    for c in cases:
        print(" ".join(c["tokens"]))


if __name__ == "__main__":
    main()
