"""Cross-cutting security proofs: the permission matrix of every route × role × store."""
