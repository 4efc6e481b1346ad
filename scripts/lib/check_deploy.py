#!/usr/bin/env python3
"""Helpers of scripts/lib/check_deploy.sh (run with its venv's Python: PyYAML).

    check_deploy.py split RENDERED.yaml BUILTIN_OUT.yaml
        Writes the built-in kinds of a rendered overlay to BUILTIN_OUT.yaml (for
        kubernetes-validate) and checks the custom resources it knows by kind, whose
        schemas no package ships: each gets a printed line saying its schema is not
        validated, and only a structural check (apiVersion, kind, metadata.name, a
        spec mapping). A custom resource of any other kind fails.
    check_deploy.py dashboard DASHBOARD.json
        The Grafana dashboard parses, is schemaVersion >= 36, has the `datasource`
        and `event_id` variables, unique panel ids, and every floodgate_* metric its
        queries name is one the server exports (METRICS below).
    check_deploy.py yaml FILE...
        Every file parses as YAML.
"""

import json
import re
import sys

import yaml

# Custom resources in the overlays, by (API group, kind).
CRDS = {
    ("postgresql.cnpg.io", "Cluster"): "CloudNativePG",
    ("monitoring.coreos.com", "ServiceMonitor"): "prometheus-operator",
    ("external-secrets.io", "ExternalSecret"): "External Secrets Operator",
}

# The metrics floodgate exports (server/src/metrics.rs, and the store/database ones).
HISTOGRAMS = {
    "floodgate_http_request_seconds",
    "floodgate_position_fanout_seconds",
    "floodgate_admission_step_seconds",
    "floodgate_store_op_seconds",
    "floodgate_db_op_seconds",
}
METRICS = HISTOGRAMS | {
    "floodgate_http_5xx_total",
    "floodgate_rate_limited_total",
    "floodgate_queue_sockets",
    "floodgate_queue_joins_total",
    "floodgate_queue_messages_in_total",
    "floodgate_queue_messages_out_total",
    "floodgate_queue_writes_total",
    "floodgate_queue_bad_messages_total",
    "floodgate_position_fanout_seconds_max",
    "floodgate_admission_step_errors_total",
    "floodgate_event_waiting",
    "floodgate_event_prequeue",
    "floodgate_event_active",
    "floodgate_event_held",
    "floodgate_event_sold",
    "floodgate_event_admitted_total",
    "floodgate_store_errors_total",
    "floodgate_db_errors_total",
}


def split(rendered, builtin_out):
    with open(rendered) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    builtin, errors = [], []
    for d in docs:
        api, kind = d.get("apiVersion", ""), d.get("kind", "")
        group = api.split("/")[0] if "/" in api else ""
        name = (d.get("metadata") or {}).get("name")
        if (group, kind) in CRDS:
            if not name or not isinstance(d.get("spec"), dict):
                errors.append(f"{kind} {name!r}: no metadata.name or no spec mapping")
            print(f"  schema not validated: {kind}/{name} ({api}, {CRDS[(group, kind)]}: "
                  "a custom resource whose schema no package ships)")
        elif "." in group and not group.endswith(".k8s.io"):
            errors.append(f"{kind}/{name} ({api}): a custom resource this check does not know")
        else:
            builtin.append(d)
    with open(builtin_out, "w") as f:
        yaml.safe_dump_all(builtin, f, sort_keys=False)
    for e in errors:
        print(f"ERROR {rendered}: {e}")
    return 1 if errors else 0


def metric_names(expr):
    for name in re.findall(r"\bfloodgate_[a-z0-9_]+", expr):
        base = re.sub(r"_(bucket|count|sum)$", "", name)
        yield name, base


def dashboard(path):
    errors = []
    try:
        with open(path) as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        print(f"ERROR {path}: {e}")
        return 1
    if not isinstance(d.get("schemaVersion"), int) or d["schemaVersion"] < 36:
        errors.append(f"schemaVersion {d.get('schemaVersion')!r} (want >= 36)")
    variables = {v.get("name"): v for v in d.get("templating", {}).get("list", [])}
    if variables.get("datasource", {}).get("type") != "datasource":
        errors.append("no `datasource` variable of type datasource")
    if "event_id" not in variables:
        errors.append("no `event_id` variable")
    panels, stack = [], list(d.get("panels", []))
    while stack:
        p = stack.pop()
        panels.append(p)
        stack.extend(p.get("panels", []))
    ids = [p.get("id") for p in panels]
    if len(ids) != len(set(ids)):
        errors.append("duplicate panel ids")
    exprs = [t["expr"] for p in panels for t in p.get("targets", []) if "expr" in t]
    query = variables.get("event_id", {}).get("query", {})
    exprs.append(query.get("query", "") if isinstance(query, dict) else str(query))
    used = set()
    for expr in exprs:
        for name, base in metric_names(expr):
            used.add(name)
            if name not in METRICS and not (base in HISTOGRAMS and base != name):
                errors.append(f"unknown metric {name} in: {expr}")
    if not used:
        errors.append("no floodgate_* metric in any query")
    for e in errors:
        print(f"ERROR {path}: {e}")
    if not errors:
        print(f"  {path}: {len(panels)} panels, {len(used)} metric names, all exported")
    return 1 if errors else 0


def parse_yaml(paths):
    rc = 0
    for p in paths:
        try:
            with open(p) as f:
                list(yaml.safe_load_all(f))
        except (OSError, yaml.YAMLError) as e:
            print(f"ERROR {p}: {e}")
            rc = 1
    return rc


def main(argv):
    if len(argv) == 3 and argv[0] == "split":
        return split(argv[1], argv[2])
    if len(argv) == 2 and argv[0] == "dashboard":
        return dashboard(argv[1])
    if len(argv) >= 2 and argv[0] == "yaml":
        return parse_yaml(argv[1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
