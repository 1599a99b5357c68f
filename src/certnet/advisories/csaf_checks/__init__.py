"""The CSAF 2.0 mandatory tests (section 6.1) that certnet checks, written from the standard.

Every document certnet publishes passes these before it goes out; they also run on any CSAF
document given to :func:`run`. Each module registers its checks in
:data:`CHECKS` (see :mod:`.registry`). The tests judge them with the CSAF TC's own test documents.
Implemented: 6.1.1 to 6.1.7, 6.1.9, 6.1.10, 6.1.13, 6.1.14, 6.1.16 to 6.1.18, 6.1.20 to
6.1.23, 6.1.27.1 to 6.1.27.11, 6.1.29 to 6.1.33. (JSON-schema conformance, which
includes 6.1.8's CVSS schema check, is judged separately with the official schema.)
"""

from certnet.advisories.csaf_checks import products, profiles, tracking
from certnet.advisories.csaf_checks.registry import CHECKS, Failure, run

__all__ = ["CHECKS", "Failure", "products", "profiles", "run", "tracking"]
