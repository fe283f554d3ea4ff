"""Pages of the spending side: settlement (filled in by the feature)."""
from merchants.views import bp  # noqa: F401
