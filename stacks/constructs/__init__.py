"""One construct per concern, composed by `stacks.data_stack` and `stacks.app_stack`."""
