"""The risk domain's services: assets, vulnerability intelligence, matching, SSVC, measures
and the risk register. Every read goes through the access policy, every change is audited,
and nothing commits: the caller's unit of work does."""

from certnet.risk.parsers import Rejection
from certnet.risk.service.assets import (
    AssetImportSummary,
    AssetInput,
    create_asset,
    delete_asset,
    get_asset,
    import_assets,
    list_assets,
    update_asset,
)
from certnet.risk.service.intel import (
    ImportSummary,
    detect_kind,
    get_vulnerability,
    import_csaf,
    import_file,
    list_imports,
    rematch_all,
)
from certnet.risk.service.measures import (
    change_measure,
    get_exposure,
    get_measure,
    list_exposures,
    list_measures,
    override_exposure,
)
from certnet.risk.service.register import Register, register, take_snapshot, trend
from certnet.risk.service.targeting import (
    AffectedOrganisation,
    MatchedAsset,
    ProductRef,
    organisations_affected,
)

__all__ = [
    "AffectedOrganisation",
    "AssetImportSummary",
    "AssetInput",
    "ImportSummary",
    "MatchedAsset",
    "ProductRef",
    "Register",
    "Rejection",
    "change_measure",
    "create_asset",
    "delete_asset",
    "detect_kind",
    "get_asset",
    "get_exposure",
    "get_measure",
    "get_vulnerability",
    "import_assets",
    "import_csaf",
    "import_file",
    "list_assets",
    "list_exposures",
    "list_imports",
    "list_measures",
    "organisations_affected",
    "override_exposure",
    "register",
    "rematch_all",
    "take_snapshot",
    "trend",
    "update_asset",
]
