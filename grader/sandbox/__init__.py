"""Everything that touches learner code: the worker, its fork server, the wire format, process
control and the kernel's isolation layers."""
