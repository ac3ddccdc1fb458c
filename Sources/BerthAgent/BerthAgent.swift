// BerthAgent: see Docs/architecture.md
