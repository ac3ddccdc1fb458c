// BerthController: see Docs/architecture.md
