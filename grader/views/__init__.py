"""Rich renderings of the shared result model, one view per module."""
