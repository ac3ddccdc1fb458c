// BerthECS: see Docs/architecture.md
