"""The personnel section's area: completion records, exports, reports."""
