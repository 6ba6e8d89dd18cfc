"""Getting documents: the one HTTP client, fetching sources and their attachments,
discovering linked records, and bulk registry imports."""
