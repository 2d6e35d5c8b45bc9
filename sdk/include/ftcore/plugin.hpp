#pragma once
// The one thing a plugin must export. Write, in exactly one source file of the plugin:
//
//   static void register_components(ftcore::Registrar& r) { r.add(std::make_unique<MyFormat>()); }
//   FTCORE_PLUGIN("my-format", "1.0.0", "Reads my records", register_components)
//
// The loader reads the descriptor, checks ABI and libtorch versions, then calls the register
// function once. Components must only be added from inside that call.

#include <cstdint>

#include <torch/version.h>  // TORCH_VERSION: a tiny header, not the torch API

#include "ftcore/export.hpp"
#include "ftcore/registry.hpp"
#include "ftcore/version.hpp"

extern "C" {

/// Fields may only be appended; struct_size tells the loader which ones a plugin has.
struct ftcore_plugin_descriptor {
  std::uint32_t struct_size;
  std::uint32_t abi_version;      ///< FTCORE_ABI_VERSION the plugin was compiled against
  const char* sdk_version;        ///< FTCORE_SDK_VERSION
  const char* torch_version;      ///< TORCH_VERSION of the libtorch headers it was compiled with
  const char* name;               ///< unique plugin name
  const char* version;            ///< the plugin's own version
  const char* description;        ///< one line
  void (*register_components)(ftcore::Registrar&);
};

}  // extern "C"

/// Name of the exported entry symbol the loader looks up.
#define FTCORE_PLUGIN_ENTRY_SYMBOL "ftcore_plugin_entry"

#define FTCORE_PLUGIN(NAME, VERSION, DESCRIPTION, REGISTER_FN)                            \
  extern "C" FTCORE_EXPORT_SYMBOL const ::ftcore_plugin_descriptor* ftcore_plugin_entry() { \
    static const ::ftcore_plugin_descriptor descriptor{                                   \
        sizeof(::ftcore_plugin_descriptor),                                               \
        FTCORE_ABI_VERSION,                                                               \
        FTCORE_SDK_VERSION,                                                               \
        TORCH_VERSION,                                                                    \
        NAME,                                                                             \
        VERSION,                                                                          \
        DESCRIPTION,                                                                      \
        &REGISTER_FN};                                                                    \
    return &descriptor;                                                                   \
  }
