#include "plugins/loader.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <spdlog/spdlog.h>

#include "ftcore/plugin.hpp"
#include "plugins/trust.hpp"
#include "util/sha256.hpp"
#include "util/text.hpp"

namespace ftcore {

namespace fs = std::filesystem;

const char* plugin_source_name(PluginSource source) {
  switch (source) {
    case PluginSource::builtin: return "built-in";
    case PluginSource::env: return "FTCORE_PLUGIN_PATH";
    case PluginSource::flag: return "--plugin";
    case PluginSource::model_dir: return "model directory";
  }
  return "unknown";
}

fs::path builtin_plugin_dir() {
  fs::path exe_dir = boost::dll::program_location().parent_path().string();
  return (exe_dir / ".." / FTCORE_PLUGIN_RELATIVE_DIR).lexically_normal();
}

std::vector<fs::path> plugin_path_from_env() {
  std::vector<fs::path> out;
  if (const char* value = std::getenv("FTCORE_PLUGIN_PATH"))
    for (const auto& entry : text::split(value, ':')) out.emplace_back(entry);
  return out;
}

namespace {

constexpr const char* kPluginSuffix = ".so";

/// Libraries of successfully loaded plugins; never unloaded, since registered objects
/// (and their vtables) live in them.
std::vector<boost::dll::shared_library>& loaded_libraries() {
  static auto* libraries = new std::vector<boost::dll::shared_library>();
  return *libraries;
}

/// Why a file cannot be an ELF shared library, or "" when its headers look whole.
std::string elf_problem(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot read the file (a dangling symlink, or no permission)";
  unsigned char header[64] = {};
  in.read(reinterpret_cast<char*>(header), sizeof header);
  auto got = static_cast<std::uint64_t>(in.gcount());
  if (got < 4 || std::memcmp(header, "\x7f" "ELF", 4) != 0)
    return "not a shared library (no ELF header); remove it from the plugin directory";
  if (got < sizeof header)
    return "truncated file: the ELF header is incomplete (" + std::to_string(got) +
           " bytes); rebuild or re-copy it";
  if (header[4] != 2 /* ELFCLASS64 */ || header[5] != 1 /* little-endian */)
    return "";  // not this machine's layout: let the dynamic loader explain
  auto read_u = [&](int offset, int size) {
    std::uint64_t value = 0;
    for (int i = size - 1; i >= 0; --i) value = (value << 8) | header[offset + i];
    return value;
  };
  std::uint64_t section_table_end = read_u(0x28, 8) + read_u(0x3A, 2) * read_u(0x3C, 2);
  std::uint64_t program_table_end = read_u(0x20, 8) + read_u(0x36, 2) * read_u(0x38, 2);
  std::uint64_t needed = std::max(section_table_end, program_table_end);
  std::uint64_t size = fs::file_size(path);
  if (size < needed)
    return "truncated file: " + std::to_string(size) + " bytes, but its ELF headers need at least " +
           std::to_string(needed) + "; rebuild or re-copy it";
  return "";
}

/// "1.13" from "1.13.1": plugins must match the engine's libtorch major.minor.
std::string major_minor(const std::string& version) {
  auto parts = text::split(version, '.');
  if (parts.size() < 2) return version;
  return parts[0] + "." + parts[1];
}

/// The *.so entries of a directory (not recursive), sorted; a file entry is itself. Entries that
/// are not regular files (pipes, dangling links) are kept so the loader reports them.
std::vector<fs::path> plugin_files_in(const fs::path& entry) {
  if (!fs::is_directory(entry)) return {entry};
  std::vector<fs::path> files;
  for (const auto& item : fs::directory_iterator(entry))
    if (item.path().extension() == kPluginSuffix && !fs::is_directory(item.path()))
      files.push_back(item.path());
  std::sort(files.begin(), files.end());
  return files;
}

class Loader {
 public:
  Loader(const PluginSearch& search, Registry& registry) : search_(search), registry_(registry) {}

  PluginReport run() {
    if (search_.builtin_dir && fs::is_directory(*search_.builtin_dir))
      load_entry(*search_.builtin_dir, PluginSource::builtin);
    for (const auto& entry : search_.env_paths) load_entry(entry, PluginSource::env);
    for (const auto& entry : search_.flag_paths) load_entry(entry, PluginSource::flag);
    if (search_.model_dir) {
      fs::path dir = *search_.model_dir / "ftcore-plugins";
      if (fs::is_directory(dir)) load_entry(dir, PluginSource::model_dir);
    }
    return std::move(report_);
  }

 private:
  void load_entry(const fs::path& entry, PluginSource source) {
    if (!fs::exists(entry)) {
      fail(entry, std::string("no such file or directory (from ") + plugin_source_name(source) + ")");
      return;
    }
    std::vector<fs::path> files;
    try {
      files = plugin_files_in(entry);
    } catch (const std::exception& e) {
      return fail(entry, std::string("cannot list the directory: ") + e.what());
    }
    for (const auto& file : files) {
      try {
        load_file(file, source);
      } catch (const std::exception& e) {
        fail(file, e.what());
      }
    }
  }

  void fail(const fs::path& path, std::string reason) {
    PluginFailure failure{path, std::move(reason)};
    spdlog::warn("plugin not loaded: {}", failure.message());
    report_.failures.push_back(std::move(failure));
  }

  bool trusted(const fs::path& path) {
    if (search_.trust_model_plugins) return true;
    std::string hash = sha256_file_hex(path);
    if (search_.trust && search_.trust->is_trusted(hash)) return true;
    fail(path, "untrusted plugin found next to the model (sha256 " + hash +
                   "); it runs code, so it loads only if you trust it: run `ftcore plugins trust " +
                   path.string() + "` once, or pass --trust-model-plugins");
    return false;
  }

  void load_file(const fs::path& path, PluginSource source) {
    fs::path canonical = fs::weakly_canonical(path);
    if (!seen_files_.insert(canonical).second) {
      spdlog::debug("plugin {} already loaded, skipping the second occurrence", path.string());
      return;
    }
    if (!fs::is_regular_file(path))
      return fail(path, fs::exists(path) ? "not a regular file" : "cannot read the file (a dangling symlink?)");
    if (source == PluginSource::model_dir && !trusted(path)) return;
    if (std::string problem = elf_problem(path); !problem.empty()) return fail(path, problem);

    boost::dll::shared_library library;
    try {
      library.load(boost::dll::fs::path(path.string()),
                   boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
      return fail(path, std::string("cannot be loaded: ") + e.what() +
                            " (was it built against this ftcore and libtorch?)");
    }
    if (!library.has(FTCORE_PLUGIN_ENTRY_SYMBOL))
      return fail(path, std::string("missing entry symbol '") + FTCORE_PLUGIN_ENTRY_SYMBOL +
                            "': not an ftcore plugin, or FTCORE_PLUGIN(...) was not used in it");
    using EntryFunction = const ftcore_plugin_descriptor*();
    const ftcore_plugin_descriptor* d = library.get<EntryFunction>(FTCORE_PLUGIN_ENTRY_SYMBOL)();
    if (std::string problem = descriptor_problem(d); !problem.empty()) return fail(path, problem);
    if (auto it = plugin_paths_.find(d->name); it != plugin_paths_.end())
      return fail(path, std::string("duplicate plugin name '") + d->name + "': already loaded from " +
                            it->second.string() + "; remove one of the two files");

    LoadedPlugin info{d->name, d->version, d->description, d->sdk_version, d->torch_version,
                      path, source, {}};
    {
      Registry::Staging staged(ComponentOrigin{d->name, path.string()});
      try {
        d->register_components(staged);
      } catch (const std::exception& e) {
        return fail(path, std::string("register function of plugin '") + d->name +
                              "' failed: " + e.what());
      } catch (...) {
        return fail(path, std::string("register function of plugin '") + d->name +
                              "' threw a non-standard exception");
      }
      info.components = staged.components();
      try {
        registry_.commit(std::move(staged));
      } catch (const std::exception& e) {
        return fail(path, e.what());
      }
    }
    plugin_paths_[info.name] = path;
    spdlog::debug("loaded plugin {} {} from {}", info.name, info.version, path.string());
    report_.loaded.push_back(std::move(info));
    loaded_libraries().push_back(std::move(library));
  }

  static std::string descriptor_problem(const ftcore_plugin_descriptor* d) {
    if (d == nullptr) return "its entry point returned no descriptor";
    // struct_size and abi_version lead the descriptor in every ABI, so they are read first.
    if (d->abi_version != FTCORE_ABI_VERSION)
      return "ABI version mismatch: plugin has " + std::to_string(d->abi_version) +
             ", this ftcore has " + std::to_string(FTCORE_ABI_VERSION) +
             "; rebuild the plugin against ftcore " FTCORE_VERSION;
    if (d->struct_size < sizeof(ftcore_plugin_descriptor))
      return "descriptor too small (" + std::to_string(d->struct_size) + " bytes, expected " +
             std::to_string(sizeof(ftcore_plugin_descriptor)) + "); rebuild it against this SDK";
    for (const char* field : {d->sdk_version, d->name, d->version, d->description})
      if (field == nullptr) return "descriptor has a null string field; use FTCORE_PLUGIN(...) to make it";
    std::string theirs = d->torch_version ? d->torch_version : "?";
    if (major_minor(theirs) != major_minor(TORCH_VERSION))
      return "libtorch version mismatch: plugin built with " + theirs + ", this ftcore uses " +
             TORCH_VERSION + "; rebuild the plugin against the same libtorch";
    if (!d->name || !*d->name) return "descriptor has an empty plugin name";
    if (!d->register_components) return "descriptor has no register function";
    return "";
  }

  const PluginSearch& search_;
  Registry& registry_;
  PluginReport report_;
  std::set<fs::path> seen_files_;
  std::map<std::string, fs::path> plugin_paths_;
};

}  // namespace

PluginReport load_plugins(const PluginSearch& search, Registry& registry) {
  return Loader(search, registry).run();
}

}  // namespace ftcore
