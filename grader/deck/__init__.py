"""Cards in, files out: the Markdown parser, the card model and the build of exercises and
solutions."""
