#pragma once
// Versions a plugin is checked against when it is loaded.

/// ftcore release (the SDK ships with the engine, so they share a number).
#define FTCORE_VERSION "0.1.0"
#define FTCORE_SDK_VERSION FTCORE_VERSION

/// Bumped whenever an SDK interface or the plugin descriptor changes incompatibly.
/// The loader refuses a plugin whose ABI version differs from the running engine's.
#define FTCORE_ABI_VERSION 4u
