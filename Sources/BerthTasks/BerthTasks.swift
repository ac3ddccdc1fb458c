// BerthTasks: see Docs/architecture.md
