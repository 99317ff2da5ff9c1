"""Request bodies of the REST API (pydantic): bounded, so no input can overflow the store."""
