"""Who may do what, and where: roles and their capabilities, the scope of each user's area,
and the admin base classes that apply both. No models of its own, so that every domain app
can stand on it."""
