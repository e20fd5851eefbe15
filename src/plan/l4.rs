//! L4 services in waves: how a service with TCP/UDP ports and no HTTP routes moves.
