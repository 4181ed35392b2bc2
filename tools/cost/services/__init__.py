"""One module per group of services; each function prices one line of the estimate."""
