"""Writes fixtures/openapi/pinterest-v5-subset.json: the operations pinsync uses, with every
component they reference, from ../shared/pinterest/openapi-v5.json (Pinterest's MIT spec).
Rerun: python3 scripts/trim-openapi.py"""
import json, pathlib, sys
root = pathlib.Path(__file__).resolve().parent.parent
src = root.parent / "shared" / "pinterest" / "openapi-v5.json"
spec = json.loads(src.read_text())
KEEP = {
    "/user_account": ["get"],
    "/ad_accounts": ["get"],
    "/ad_accounts/{ad_account_id}": ["get"],
    "/ad_accounts/{ad_account_id}/audiences": ["get", "post"],
    "/ad_accounts/{ad_account_id}/audiences/{audience_id}": ["get", "patch"],
    "/ad_accounts/{ad_account_id}/customer_lists": ["get", "post"],
    "/ad_accounts/{ad_account_id}/customer_lists/{customer_list_id}": ["get", "patch"],
    "/oauth/token": ["post"],
}
paths = {p: {m: spec["paths"][p][m] for m in ms} for p, ms in KEEP.items()}
for p in KEEP:
    if "parameters" in spec["paths"][p]:
        paths[p]["parameters"] = spec["paths"][p]["parameters"]
needed = set()
def walk(node):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            _, _, kind, name = ref.split("/", 3)
            if (kind, name) not in needed:
                needed.add((kind, name))
                walk(spec["components"][kind][name])
        for v in node.values():
            walk(v)
    elif isinstance(node, list):
        for v in node:
            walk(v)
walk(paths)
components = {}
for kind, name in sorted(needed):
    components.setdefault(kind, {})[name] = spec["components"][kind][name]
components["securitySchemes"] = spec["components"].get("securitySchemes", {})
out = {
    "openapi": spec["openapi"],
    "info": {**spec["info"], "x-trimmed-by": "scripts/trim-openapi.py: only the operations pinsync uses"},
    "servers": spec["servers"],
    "paths": paths,
    "components": components,
}
dest = root / "fixtures" / "openapi" / "pinterest-v5-subset.json"
dest.parent.mkdir(parents=True, exist_ok=True)
dest.write_text(json.dumps(out, indent=1) + "\n")
(dest.parent / "LICENSE-openapi.txt").write_text((src.parent / "LICENSE-openapi.txt").read_text())
print(f"{dest.relative_to(root)}: {len(paths)} paths, {len(needed)} components, {dest.stat().st_size} bytes")
