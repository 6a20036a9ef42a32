//! The simulator over real sockets: the fake Graph API read and written like Curbside will, the
//! webhook sender checked by Meta's own parsers, the script's content, and the player end to end.

mod graph;
mod player;
mod script;
mod support;
mod webhooks;
