"""Template tags of the application."""
