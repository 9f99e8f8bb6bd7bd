#!/usr/bin/env python3
"""Build the judged near-duplicate test set in index-data/duplicates/.

Usage (from the repository root):

    python3 scripts/make-duplicate-set.py [--check]

Reads
    index-data/supplies.jsonl             the bundled supplies (TS-... ids)
    index-data/duplicates/edits.jsonl     one object per new record, written by hand
and writes
    index-data/duplicates/records.jsonl   the new supply records (DUP-..., NDP-...)
    index-data/duplicates/expected.jsonl  the truth: duplicate clusters, translation
                                          pairs and hard non-duplicate pairs

With --check nothing is written; the script exits 1 if either output file differs
from what it would write.

Standard library only; deterministic (no clock, no unseeded randomness, sorted
output), so a re-run reproduces both files byte for byte.

edits.jsonl, one object per line, by "kind":

  "duplicate"   a planted same-language duplicate of bundled record "base".
                The record starts as a copy of the base; then, in this order:
                  desc_sentences  list rebuilding the description from the base's
                                  sentences: an integer picks base sentence i
                                  (0-based, split as split_sentences() does), a
                                  string is a new hand-written sentence
                  summary_first_sentence  true: keep only the summary's first sentence
                  set             fields replaced by hand-written values
                  replace         [[old, new], ...] applied to title, summary,
                                  description; every old string must occur
                  drop            fields removed (e.g. the description)
                  transform       "no_diacritics" | "old_tone" | "nfd", applied to
                                  title, summary, description, keywords, owner,
                                  province (mechanical changes)
  "translation" the base rewritten in another language by hand: "set" holds the
                translated title, summary, description, keywords and lang; owner,
                sector and the other fields are copied from the base unless "set"
                overrides them.
  "distinct"    a hard non-duplicate written by hand: "record" holds the whole
                record; "distinct_from" names the bundled record it is easily
                confused with and "reason" says why they differ.

Every edit also carries "id", "source" (the exchange or connection point that sent
the record) and "change" (the list of changes, copied to the record).  The record's
"source_id" (its id at that source) is derived deterministically from the record id.
"""

import json
import random
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUPPLIES = ROOT / "index-data" / "supplies.jsonl"
DIR = ROOT / "index-data" / "duplicates"
EDITS = DIR / "edits.jsonl"
RECORDS = DIR / "records.jsonl"
EXPECTED = DIR / "expected.jsonl"

SEED = 20250714

FIELD_ORDER = [
    "id", "title", "summary", "description", "keywords", "sector", "owner",
    "country", "province", "lang", "trl", "transfer", "updated",
    "source", "source_id", "change",
]
TEXT_FIELDS = ["title", "summary", "description", "owner", "province"]

# Each source numbers its records its own way.  {y} is the year of the record's
# "updated" date (2025 when absent), {yy} its last two digits.
SOURCES = {
    "techmart-hanoi": ("TMHN-{y}-{n:04d}", 9999),
    "san-cong-nghe-hcm": ("HCM-{y}-{n:05d}", 99999),
    "ket-noi-cung-cau-tay-nguyen": ("KNCC-TN/{n:04d}/{y}", 9999),
    "san-giao-dich-da-nang": ("DNG{yy}{n:05d}", 99999),
    "vista-can-tho": ("VCT-{yy}-{n:04d}", 9999),
    "nafosted-portal": ("NAF-TT-{n:06d}", 999999),
    "diem-ket-noi-hai-phong": ("HP-KN-{n:05d}", 99999),
    "diem-ket-noi-nghe-an": ("NA-{y}-{n:03d}", 999),
    "diem-ket-noi-khanh-hoa": ("KH-{n:04d}", 9999),
    "cho-cong-nghe-quoc-gia": ("CCN-{y}-{n:06d}", 999999),
    "vietnam-techport-en": ("VTP-EN-{n:05d}", 99999),
}

CHANGES = {
    "no_diacritics", "old_tone", "nfd", "short_title", "short_text", "reordered",
    "updated", "owner_spelling", "province_spelling", "translation", "new_technology",
}
TRANSFORM_TAGS = {"no_diacritics", "old_tone", "nfd"}

SENTENCE_SPLIT = re.compile(r'(?<=[.!?])\s+(?=[A-ZÀ-ỸĐ0-9"“(])')
WORD = re.compile(r"\w+")
TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def split_sentences(text):
    """Sentences of a description: after . ! ? before a capital, digit or quote,
    and after every Chinese full stop."""
    out = []
    for part in SENTENCE_SPLIT.split(text.strip()):
        out.extend(p for p in re.split(r"(?<=。)", part) if p)
    return out


def join_sentences(parts):
    out = ""
    for p in parts:
        if out and not out.endswith("。"):
            out += " "
        out += p
    return out


def no_diacritics(s):
    """Retyped without diacritics: all combining marks removed, đ -> d."""
    d = unicodedata.normalize("NFD", s)
    d = "".join(ch for ch in d if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", d.replace("đ", "d").replace("Đ", "D"))


def _old_tone_word(m):
    w = m.group(0)
    chars = []
    for ch in unicodedata.normalize("NFD", w):
        if unicodedata.combining(ch) and chars:
            chars[-1][1].append(ch)
        else:
            chars.append([ch, []])
    base = "".join(c[0] for c in chars).lower()
    toned = [i for i, c in enumerate(chars) if any(mk in TONE_MARKS for mk in c[1])]
    if len(toned) != 1 or len(chars) < 2:
        return w
    i = toned[0]
    # open syllable ending in oa / oe / uy with the tone on the first vowel
    if i != len(chars) - 2 or base[-2:] not in ("oa", "oe", "uy"):
        return w
    if base[-2:] == "uy" and len(base) >= 3 and base[-3] == "q":
        return w
    if len(chars[i][1]) != 1 or chars[i + 1][1]:
        return w
    chars[i + 1][1].append(chars[i][1].pop())
    return unicodedata.normalize("NFC", "".join(c[0] + "".join(c[1]) for c in chars))


def old_tone(s):
    """Tone mark on the second vowel of open oa/oe/uy: hòa -> hoà, thủy -> thuỷ."""
    return WORD.sub(_old_tone_word, unicodedata.normalize("NFC", s))


def nfd(s):
    return unicodedata.normalize("NFD", s)


TRANSFORMS = {"no_diacritics": no_diacritics, "old_tone": old_tone, "nfd": nfd}


def fail(msg):
    sys.exit(f"make-duplicate-set: {msg}")


def read_jsonl(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError as e:
                    fail(f"{path}:{n}: {e}")
    return out


def source_id(rec):
    fmt, top = SOURCES[rec["source"]]
    y = int(rec["updated"][:4]) if rec.get("updated") else 2025
    n = random.Random(f"{SEED}:{rec['id']}").randint(1, top)
    return fmt.format(y=y, yy=y % 100, n=n)


def ordered(rec):
    return {k: rec[k] for k in FIELD_ORDER if k in rec}


def apply_duplicate(e, base):
    rec = {k: v for k, v in base.items() if k != "id"}
    if "desc_sentences" in e:
        sents = split_sentences(base.get("description", ""))
        parts = []
        for p in e["desc_sentences"]:
            if isinstance(p, int):
                if not 0 <= p < len(sents):
                    fail(f"{e['id']}: base {e['base']} has no sentence {p}")
                parts.append(sents[p])
            else:
                parts.append(p)
        rec["description"] = join_sentences(parts)
    if e.get("summary_first_sentence"):
        rec["summary"] = split_sentences(rec["summary"])[0]
    rec.update(e.get("set", {}))
    for old, new in e.get("replace", []):
        hit = False
        for k in ("title", "summary", "description"):
            if isinstance(rec.get(k), str) and old in rec[k]:
                rec[k] = rec[k].replace(old, new)
                hit = True
        if not hit:
            fail(f"{e['id']}: replace {old!r} matches nothing in {e['base']}")
    for k in e.get("drop", []):
        rec.pop(k, None)
    t = e.get("transform")
    if t:
        f = TRANSFORMS[t]
        before = json.dumps(rec, ensure_ascii=False)
        for k in TEXT_FIELDS:
            if isinstance(rec.get(k), str):
                rec[k] = f(rec[k])
        if isinstance(rec.get("keywords"), list):
            rec["keywords"] = [f(x) for x in rec["keywords"]]
        if json.dumps(rec, ensure_ascii=False) == before:
            fail(f"{e['id']}: transform {t} changes nothing")
    return rec


def build():
    supplies = {r["id"]: r for r in read_jsonl(SUPPLIES)}
    edits = read_jsonl(EDITS)
    records, seen = [], set()
    clusters, translations, distinct = {}, [], []
    for e in edits:
        rid = e["id"]
        if rid in seen or rid in supplies or rid.startswith("TS-"):
            fail(f"{rid}: duplicate or reserved id")
        seen.add(rid)
        if e["source"] not in SOURCES:
            fail(f"{rid}: unknown source {e['source']}")
        bad = set(e["change"]) - CHANGES
        if bad:
            fail(f"{rid}: unknown change {sorted(bad)}")
        kind = e["kind"]
        if kind == "distinct":
            if e["distinct_from"] not in supplies:
                fail(f"{rid}: unknown bundled record {e['distinct_from']}")
            rec = dict(e["record"])
            distinct.append({"distinct": [rid, e["distinct_from"]], "reason": e["reason"]})
        else:
            base = supplies.get(e["base"])
            if base is None:
                fail(f"{rid}: unknown base {e['base']}")
            if kind == "duplicate":
                rec = apply_duplicate(e, base)
                clusters.setdefault(e["base"], []).append(rid)
            elif kind == "translation":
                rec = {k: v for k, v in base.items() if k != "id"}
                rec.update(e["set"])
                translations.append((e["base"], rid))
            else:
                fail(f"{rid}: unknown kind {kind}")
        rec["id"] = rid
        rec["source"] = e["source"]
        rec["source_id"] = source_id(rec)
        rec["change"] = list(e["change"])
        records.append(ordered(rec))
    # source ids must be unique within a source
    taken = set()
    for rec in records:
        key = (rec["source"], rec["source_id"])
        if key in taken:
            fail(f"{rec['id']}: source_id {rec['source_id']} collides")
        taken.add(key)
    records.sort(key=lambda r: r["id"])
    expected = []
    for b in sorted(clusters):
        expected.append({"cluster": f"C-{b}", "members": [b] + sorted(clusters[b]),
                         "kind": "duplicate"})
    for b, rid in sorted(translations):
        expected.append({"cluster": f"T-{b}", "members": [b, rid], "kind": "translation"})
    for d in sorted(distinct, key=lambda d: d["distinct"][0]):
        expected.append(d)
    return records, expected


def dump(rows):
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def main():
    check = "--check" in sys.argv[1:]
    records, expected = build()
    outputs = {RECORDS: dump(records), EXPECTED: dump(expected)}
    if check:
        stale = [p.name for p, text in outputs.items()
                 if not p.exists() or p.read_text(encoding="utf-8") != text]
        if stale:
            print("stale: " + ", ".join(stale), file=sys.stderr)
            sys.exit(1)
        print("up to date")
        return
    for p, text in outputs.items():
        p.write_text(text, encoding="utf-8")
    n = {k: sum(1 for r in records if r["id"].startswith(k)) for k in ("DUP-", "NDP-")}
    print(f"wrote {len(records)} records ({n['DUP-']} DUP, {n['NDP-']} NDP) "
          f"and {len(expected)} expected entries")


if __name__ == "__main__":
    main()
