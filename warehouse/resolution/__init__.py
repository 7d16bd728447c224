"""Identity resolution: which source records are the same person, and that person's golden record."""
from .resolve import MERGE_THRESHOLD, REVIEW_THRESHOLD, Resolution, resolve_people

__all__ = ["MERGE_THRESHOLD", "REVIEW_THRESHOLD", "Resolution", "resolve_people"]
