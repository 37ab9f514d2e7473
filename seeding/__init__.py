"""Demo data (`seeding.demo`, `manage.py seed_demo`) and the generated province (`seeding.scale`,
`manage.py seed_scale`). Nothing in the product imports this package: it writes through the product's
services (the demo) or straight into its tables (the province), and sits above every domain app."""
