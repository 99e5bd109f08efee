"""s3_put.py ENDPOINT BUCKET CLIENTS SIZE_MB: CLIENTS direct PUTs of SIZE_MB (10^6 bytes) each to an S3-compatible
server at once (boto3, as installed with moto by scripts/s3-setup); prints 'ok total_seconds mb_per_s'. The
baseline of bench/upload.sh: what the store itself takes, without the server in between."""

import os
import sys
import threading

import boto3

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from helpers import fan_out  # noqa: E402 - the bench directory's own helpers, stdlib only

endpoint, bucket, clients, size_mb = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
size = int(size_mb * 1_000_000)
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="test",
    aws_secret_access_key="test",
)
results = []
lock = threading.Lock()


def one(i):
    body = os.urandom(size)
    try:
        s3.put_object(Bucket=bucket, Key=f"direct/{i}-{os.urandom(4).hex()}", Body=body)
        ok = True
    except Exception as e:  # noqa: BLE001 - reported as a failed PUT
        sys.stderr.write(f"PUT failed: {e}\n")
        ok = False
    with lock:
        results.append(ok)


wall = fan_out(clients, one)
ok = sum(results)
print(f"{ok} {wall:.3f} {ok * size / 1_000_000 / wall:.2f}")
