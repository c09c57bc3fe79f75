"""Photos: validated, stripped of metadata, resized, stored by content."""
