"""The instructor's area: classes, members, progress, certificates."""
