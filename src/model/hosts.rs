//! The production hosts the routes serve, and which of their paths no route lists.
