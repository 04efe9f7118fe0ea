"""Finding formats: every format renders every finding the engine makes, valid by its own definition."""
