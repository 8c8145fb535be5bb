"""One module per search-parameter type: each owns its index rows and its SQL predicate."""
