"""Root-cause rules: one module per verdict family; the registry is filled as families land."""
