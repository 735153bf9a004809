//! What other domains may compose into their own statements from teams'
//! tables, so that they never name those tables and add no round trip.
