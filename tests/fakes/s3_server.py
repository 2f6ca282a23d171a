"""A local S3-compatible server for tests: moto's server mode, real HTTP on 127.0.0.1 with an
ephemeral port, so the real boto3 client talks to it as it would to AWS S3 or MinIO.

    with FakeS3() as s3:                 # one bucket, `s3.bucket`, created empty
        FileStorage(bucket=s3.bucket, endpoint_url=s3.endpoint_url)
        s3.object_keys()                 # the keys the bucket holds now
"""

from __future__ import annotations

import logging
import os
import uuid
from types import TracebackType

import boto3
from moto.server import ThreadedMotoServer

# moto accepts any credentials; boto3 wants some, and reads these variables.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "taskloom-test",
    "AWS_SECRET_ACCESS_KEY": "taskloom-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class FakeS3:
    def __init__(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.bucket = f"taskloom-{uuid.uuid4().hex[:12]}"
        self.endpoint_url = ""
        self._saved_environment: dict[str, str | None] = {}

    def __enter__(self) -> FakeS3:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request
        self._saved_environment = {name: os.environ.get(name) for name in CREDENTIALS}
        os.environ.update(CREDENTIALS)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        self.client().create_bucket(Bucket=self.bucket)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.stop()
        for name, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def client(self):  # type: ignore[no-untyped-def]
        return boto3.client("s3", endpoint_url=self.endpoint_url, region_name="us-east-1")

    def object_keys(self) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=self.bucket)
        return sorted(item["Key"] for item in listed.get("Contents", []))
