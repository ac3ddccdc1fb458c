// BerthCgroups: see Docs/architecture.md
