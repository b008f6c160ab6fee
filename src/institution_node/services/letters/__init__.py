"""Letter templates: how each library (or the institution) words the letters it owns."""
