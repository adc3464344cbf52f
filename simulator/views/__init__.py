"""HTTP views of the simulator, one module per dialect plus the file server."""
