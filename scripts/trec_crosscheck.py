#!/usr/bin/env python3
"""Reference values for techmatch-eval, computed by trec_eval through pytrec_eval.

Usage: .venv/bin/python scripts/trec_crosscheck.py QRELS RUN K

Prints one JSON object:

    {"k": K, "num_queries": N,
     "queries": {QUERY_ID: {MEASURE: VALUE, ...}, ...},
     "means": {MEASURE: VALUE, ...}}

Measures from pytrec_eval (trec_eval 9.x code): ndcg_cut_K, map, recip_rank, P_K,
recall_K. trec_eval has no measure for two of ours, so this script computes them
itself, on the ranking trec_eval uses (score as a C float, descending, then document
id, descending, byte order): recip_rank_cut_K (the reciprocal rank if the first
relevant document is within the top K, else 0) and judged_K (documents in the top K
with a judgment of any grade, divided by K).

Queries follow techmatch-eval's convention: the evaluated queries are those of the
qrels with at least one judgment of grade >= 1; one the run lacks scores 0 everywhere
(trec_eval -c); run queries absent from the qrels are ignored. pytrec_eval itself
only evaluates queries present in both files, so the zeros are filled in here, and
the means are taken here over the evaluated queries.

Run scripts/setup-python-venv first to create .venv with pytrec_eval.
"""

import ctypes
import json
import sys

import pytrec_eval

RELEVANCE_LEVEL = 1
ASCII_WHITESPACE = " \t\n\r\f\v"


def columns(line):
    """Splits on ASCII whitespace only, as trec_eval and techmatch-eval do."""
    for space in ASCII_WHITESPACE[1:]:
        line = line.replace(space, " ")
    return [column for column in line.split(" ") if column]


def read_qrels(path):
    qrels = {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            cols = columns(line)
            if not cols:
                continue
            query, _iteration, doc, grade = cols
            qrels.setdefault(query, {})[doc] = int(grade)
    return qrels


def read_run(path):
    run = {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            cols = columns(line)
            if not cols:
                continue
            query, _q0, doc, _rank, score, _name = cols
            run.setdefault(query, {})[doc] = float(score)
    return run


def as_c_float(value):
    return ctypes.c_float(value).value


def trec_eval_ranking(results):
    """Document ids in trec_eval's order."""
    return [
        doc
        for doc, _ in sorted(
            results.items(),
            key=lambda item: (as_c_float(item[1]), item[0].encode("utf-8")),
            reverse=True,
        )
    ]


def main(argv):
    if len(argv) != 4:
        sys.exit("usage: trec_crosscheck.py QRELS RUN K")
    qrels_path, run_path, k = argv[1], argv[2], int(argv[3])
    if k < 1:
        sys.exit("trec_crosscheck.py: K must be at least 1")
    qrels = read_qrels(qrels_path)
    run = read_run(run_path)

    trec_measures = {f"ndcg_cut_{k}", "map", "recip_rank", f"P_{k}", f"recall_{k}"}
    own_measures = {f"recip_rank_cut_{k}", f"judged_{k}"}
    evaluator = pytrec_eval.RelevanceEvaluator(
        qrels,
        {f"ndcg_cut.{k}", "map", "recip_rank", f"P.{k}", f"recall.{k}"},
        relevance_level=RELEVANCE_LEVEL,
    )
    trec_values = evaluator.evaluate(run)

    evaluated = sorted(
        query
        for query, judgments in qrels.items()
        if any(grade >= RELEVANCE_LEVEL for grade in judgments.values())
    )
    per_query = {}
    for query in evaluated:
        values = {measure: 0.0 for measure in trec_measures | own_measures}
        values.update(
            (measure, value)
            for measure, value in trec_values.get(query, {}).items()
            if measure in trec_measures
        )
        ranking = trec_eval_ranking(run.get(query, {}))
        judgments = qrels[query]
        top = ranking[:k]
        values[f"judged_{k}"] = sum(doc in judgments for doc in top) / k
        for index, doc in enumerate(top):
            if judgments.get(doc, 0) >= RELEVANCE_LEVEL:
                values[f"recip_rank_cut_{k}"] = 1.0 / (index + 1)
                break
        per_query[query] = values

    measures = sorted(trec_measures | own_measures)
    means = {
        measure: (
            sum(values[measure] for values in per_query.values()) / len(per_query)
            if per_query
            else 0.0
        )
        for measure in measures
    }
    json.dump(
        {"k": k, "num_queries": len(per_query), "queries": per_query, "means": means},
        sys.stdout,
        indent=1,
        sort_keys=True,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
