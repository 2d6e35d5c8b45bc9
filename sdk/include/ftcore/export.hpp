#pragma once
// Symbol visibility for libftcore and plugins (built with -fvisibility=hidden).

#if defined(_WIN32)
#define FTCORE_EXPORT_SYMBOL __declspec(dllexport)
#define FTCORE_IMPORT_SYMBOL __declspec(dllimport)
#else
#define FTCORE_EXPORT_SYMBOL __attribute__((visibility("default")))
#define FTCORE_IMPORT_SYMBOL __attribute__((visibility("default")))
#endif

#if defined(FTCORE_BUILDING_LIBRARY)
#define FTCORE_API FTCORE_EXPORT_SYMBOL
#else
#define FTCORE_API FTCORE_IMPORT_SYMBOL
#endif
