/* The visualizer page: see docs/visualizer-api.md. */
