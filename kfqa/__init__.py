"""kfqa core: settings, shared types, text rules, embedding model and store access."""
