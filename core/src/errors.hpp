#pragma once
// The engine's error types are the SDK's (ftcore/errors.hpp).
#include "ftcore/errors.hpp"
