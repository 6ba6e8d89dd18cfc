"""auditor: check that registries, papers, regulators and companies tell the same story.

The front door, like ``sqlite_utils.Database``: everything the CLI does is one call here.

    import auditor
    result = auditor.audit(auditor.load_config("config.toml"))
    print(len(result.findings), "findings")
"""

from auditor.api import (
    CompareResult,
    add_subject,
    audit,
    compare,
    digest,
    discover,
    fetch,
    init,
    report,
)
from auditor.audit import AuditResult
from auditor.config import Config, load_config
from auditor.errors import AuditorError, ConfigError, FetchError, ParseError, SnapshotError
from auditor.models import (
    FIELDS,
    SEVERITY_ORDER,
    Claim,
    Comparison,
    Finding,
    FindingSource,
    Reading,
    Snapshot,
    SourceRef,
    Subject,
)

__version__ = "0.1.0"

__all__ = [
    "FIELDS",
    "SEVERITY_ORDER",
    "AuditResult",
    "AuditorError",
    "Claim",
    "CompareResult",
    "Comparison",
    "Config",
    "ConfigError",
    "FetchError",
    "Finding",
    "FindingSource",
    "ParseError",
    "Reading",
    "Snapshot",
    "SnapshotError",
    "SourceRef",
    "Subject",
    "__version__",
    "add_subject",
    "audit",
    "compare",
    "digest",
    "discover",
    "fetch",
    "init",
    "load_config",
    "report",
]
