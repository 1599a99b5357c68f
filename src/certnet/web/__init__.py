"""The console shell: layout, static assets, sign-in pages, and the pages of each domain."""
