"""Verifies a Standard Webhooks signature with Python's own hmac (an implementation
independent of the server's): reads {secret, id, timestamp, body, signature} as JSON on
stdin, exits 0 when one of the signature's `v1,` entries matches, 1 otherwise."""
import base64
import hashlib
import hmac
import json
import sys

m = json.load(sys.stdin)
key = base64.b64decode(m["secret"].removeprefix("whsec_"))
content = f'{m["id"]}.{m["timestamp"]}.{m["body"]}'.encode()
expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
for entry in m["signature"].split(" "):
    version, _, sig = entry.partition(",")
    if version == "v1" and hmac.compare_digest(sig, expected):
        sys.exit(0)
sys.exit(1)
