"""What a container that answers questions imports: every module costs its cold start."""

import os
import subprocess
import sys
from pathlib import Path

from lambdas.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[3]

# Document parsing, uploads, usage reports and administration: none of them answers a question.
NOT_NEEDED_TO_ANSWER = (
    "pypdf",
    "markdown_it",
    "lambdas.core.documents",
    "lambdas.core.rag.extraction",
    "lambdas.core.ingestion",
    "lambdas.core.usage",
    "lambdas.core.admin",
)

# A fresh interpreter, as a new Lambda sandbox: the REST handler, the services a deployed API
# function builds, and the retriever its first question builds (clients only, no call made).
_CHAT_CONTAINER = """
import sys
from lambdas.handlers.api import handler
from lambdas.wiring import get_services
get_services().rag.retriever
print(" ".join(name for name in sys.argv[1:] if name in sys.modules))
"""

_CLOUD_SETTINGS = {
    "AWS_REGION": "us-east-1",
    "LLM_PROVIDER": "bedrock",
    "VECTOR_BACKEND": "s3vectors",
    "S3VECTORS_BUCKET": "vectors",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


def test_a_container_ready_to_answer_has_not_imported_document_parsing_or_administration():
    # Only the settings below: none inherited from the shell or another test.
    environment = {
        name: value
        for name, value in os.environ.items()
        if name.lower() not in Settings.model_fields and not name.startswith(("AWS_", "POWERTOOLS_"))
    }
    run = subprocess.run(
        [sys.executable, "-c", _CHAT_CONTAINER, *NOT_NEEDED_TO_ANSWER],
        cwd=REPO_ROOT,
        env={**environment, **_CLOUD_SETTINGS},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == []
