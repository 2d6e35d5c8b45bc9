#include "plugins/loader.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <spdlog/spdlog.h>

#include "errors.hpp"
#include "ftcore/files.hpp"
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

/// Reads little-endian unsigned integers out of an ELF image, 0 beyond its end.
class ElfBytes {
 public:
  explicit ElfBytes(std::string_view bytes) : bytes_(bytes) {}
  std::uint64_t u(std::uint64_t offset, int size) const {
    if (offset > bytes_.size() || static_cast<std::uint64_t>(size) > bytes_.size() - offset) return 0;
    std::uint64_t value = 0;
    for (int i = size - 1; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes_[offset + static_cast<std::uint64_t>(i)]);
    return value;
  }
  std::size_t size() const { return bytes_.size(); }
  /// The NUL-terminated string at `offset`, or nullopt when it runs past the end.
  std::optional<std::string> string_at(std::uint64_t offset) const {
    if (offset >= bytes_.size()) return std::nullopt;
    const auto end = bytes_.find('\0', static_cast<std::size_t>(offset));
    if (end == std::string_view::npos) return std::nullopt;
    return std::string(bytes_.substr(static_cast<std::size_t>(offset), end - static_cast<std::size_t>(offset)));
  }

 private:
  std::string_view bytes_;
};

/// Why bytes cannot be an ELF shared library (`size` is the file's length), or "" when its headers look whole.
std::string elf_problem(const ElfBytes& elf, std::uint64_t size) {
  if (elf.size() < 4 || elf.u(0, 4) != 0x464C457Fu)  // "\x7fELF"
    return "not a shared library (no ELF header); remove it from the plugin directory";
  if (elf.size() < 64)
    return "truncated file: the ELF header is incomplete (" + std::to_string(elf.size()) + " bytes); rebuild or re-copy it";
  if (elf.u(4, 1) != 2 /* ELFCLASS64 */ || elf.u(5, 1) != 1 /* little-endian */)
    return "";  // not this machine's layout: let the dynamic loader explain
  std::uint64_t section_table_end = elf.u(0x28, 8) + elf.u(0x3A, 2) * elf.u(0x3C, 2);
  std::uint64_t program_table_end = elf.u(0x20, 8) + elf.u(0x36, 2) * elf.u(0x38, 2);
  std::uint64_t needed = std::max(section_table_end, program_table_end);
  if (size < needed)
    return "truncated file: " + std::to_string(size) + " bytes, but its ELF headers need at least " +
           std::to_string(needed) + "; rebuild or re-copy it";
  return "";
}

/// Why a file cannot be an ELF shared library, or "" when its headers look whole.
std::string elf_problem(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot read the file (a dangling symlink, or no permission)";
  std::string header(64, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header.size()));
  header.resize(static_cast<std::size_t>(in.gcount()));
  return elf_problem(ElfBytes(header), fs::file_size(path));
}

/// What a shared library asks the dynamic loader for: DT_NEEDED names and DT_RPATH/DT_RUNPATH entries.
struct DynamicLinks {
  std::vector<std::string> needed, run_paths;
};

/// Reads the dynamic section of a whole 64-bit little-endian ELF image.
std::optional<DynamicLinks> dynamic_links(const ElfBytes& elf) {
  constexpr std::uint64_t kLoad = 1, kDynamic = 2;                                            // p_type
  constexpr std::uint64_t kNull = 0, kNeeded = 1, kStrtab = 5, kRpath = 15, kRunpath = 29;  // d_tag
  const std::uint64_t phoff = elf.u(0x20, 8), phentsize = elf.u(0x36, 2), phnum = elf.u(0x38, 2);
  if (phentsize < 56) return std::nullopt;
  std::vector<std::uint64_t> loads;  // where the PT_LOAD program headers are
  std::optional<std::uint64_t> dynamic_offset, dynamic_size;
  for (std::uint64_t i = 0; i < phnum; ++i) {
    const std::uint64_t at = phoff + i * phentsize;
    const std::uint64_t type = elf.u(at, 4);
    if (type == kLoad) loads.push_back(at);
    if (type == kDynamic) dynamic_offset = elf.u(at + 8, 8), dynamic_size = elf.u(at + 0x20, 8);
  }
  if (!dynamic_offset) return DynamicLinks{};  // statically linked: asks for nothing
  // The string table is named by its address: find the loaded segment holding it.
  auto file_offset = [&](std::uint64_t address) -> std::optional<std::uint64_t> {
    for (const std::uint64_t at : loads) {
      const std::uint64_t offset = elf.u(at + 8, 8), vaddr = elf.u(at + 0x10, 8), filesz = elf.u(at + 0x20, 8);
      if (address >= vaddr && address - vaddr < filesz) return offset + (address - vaddr);
    }
    return std::nullopt;
  };
  std::vector<std::pair<std::uint64_t, std::uint64_t>> entries;  // (tag, value)
  std::optional<std::uint64_t> strtab;
  for (std::uint64_t at = *dynamic_offset; at + 16 <= *dynamic_offset + *dynamic_size; at += 16) {
    const std::uint64_t tag = elf.u(at, 8), value = elf.u(at + 8, 8);
    if (tag == kNull) break;
    if (tag == kStrtab) strtab = file_offset(value);
    entries.emplace_back(tag, value);
  }
  if (!strtab) return std::nullopt;
  DynamicLinks links;
  for (const auto& [tag, value] : entries) {
    if (tag != kNeeded && tag != kRpath && tag != kRunpath) continue;
    auto name = elf.string_at(*strtab + value);
    if (!name) return std::nullopt;
    if (tag == kNeeded) links.needed.push_back(*name);
    else
      for (const auto& entry : text::split(*name, ':')) links.run_paths.push_back(entry);
  }
  return links;
}

/// Why a plugin of a model directory may not load: it asks the dynamic loader for a library by
/// path, or its run path reaches into the model directory (where trust, which covers the plugin file
/// alone, does not reach) or depends on the working directory. "" when neither.
std::string dependency_problem(const ElfBytes& elf, const fs::path& plugin, const fs::path& model_dir) {
  const auto links = dynamic_links(elf);
  if (!links) return "its dynamic section cannot be read (a damaged or unusual ELF file); rebuild it";
  const std::string rule =
      ": trust covers the plugin file alone, so a plugin next to a model may load only libraries installed on the "
      "system (link its own dependencies statically)";
  for (const auto& name : links->needed)
    if (name.find('/') != std::string::npos) return "it loads the library '" + name + "' by path" + rule;
  const fs::path origin = fs::weakly_canonical(fs::absolute(plugin).parent_path());
  const std::string inside = fs::weakly_canonical(fs::absolute(model_dir)).string() + "/";
  for (const auto& entry : links->run_paths) {
    std::string meant = entry;
    for (const char* token : {"${ORIGIN}", "$ORIGIN"})
      for (auto at = meant.find(token); at != std::string::npos; at = meant.find(token))
        meant.replace(at, std::strlen(token), origin.string());
    if (meant.empty() || meant[0] != '/')
      return "its run path '" + entry + "' is relative to the working directory" + rule;
    if ((fs::weakly_canonical(meant).string() + "/").rfind(inside, 0) == 0)
      return "its run path '" + entry + "' points into the model directory" + rule;
  }
  return "";
}

/// A plugin file read once: its bytes, and the identity of the file they came from.
struct PluginBytes {
  std::string bytes;
  std::string sha256;
};

bool same_file_state(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
         a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
}

/// Reads a plugin through one descriptor and hashes what was read; refuses a file that changed
/// while it was read.
PluginBytes read_plugin(const fs::path& path) {
  constexpr std::uint64_t kLargest = std::uint64_t{1} << 30;
  const int fd = files::open_regular(path, "plugin");
  struct stat before {}, after {};
  ::fstat(fd, &before);
  PluginBytes out;
  try {
    if (static_cast<std::uint64_t>(before.st_size) > kLargest)
      throw UsageError("larger than 1 GiB; not a plugin ftcore loads");
    out.bytes.resize(static_cast<std::size_t>(before.st_size));
    std::size_t done = 0;
    while (done < out.bytes.size()) {
      const ssize_t got = ::pread(fd, out.bytes.data() + done, out.bytes.size() - done, static_cast<off_t>(done));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;
      done += static_cast<std::size_t>(got);
    }
    out.bytes.resize(done);
    ::fstat(fd, &after);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  if (!same_file_state(before, after) || out.bytes.size() != static_cast<std::size_t>(before.st_size))
    throw UsageError("the file changed while it was read; load it again when nothing writes to it");
  out.sha256 = sha256_hex(out.bytes);
  return out;
}

/// The bytes in a sealed anonymous file (memfd) that nobody can change, named /proc/self/fd/N for
/// the dynamic loader. The descriptor stays open for the life of the process: the loader knows a
/// library by that name, which must never name another file.
fs::path sealed_copy(const std::string& bytes, const std::string& name) {
  unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
#ifdef MFD_EXEC
  flags |= MFD_EXEC;
#endif
  int fd = ::memfd_create(("ftcore-plugin:" + name).c_str(), flags);
#ifdef MFD_EXEC
  if (fd < 0 && errno == EINVAL) fd = ::memfd_create(("ftcore-plugin:" + name).c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
#endif
  if (fd < 0) throw RunError(std::string("cannot make a sealed copy to load (memfd_create: ") + std::strerror(errno) + ")");
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t wrote = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) {
      const int error = errno;
      ::close(fd);
      throw RunError(std::string("cannot make a sealed copy to load: ") + std::strerror(error));
    }
    done += static_cast<std::size_t>(wrote);
  }
  if (::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    const int error = errno;
    ::close(fd);
    throw RunError(std::string("cannot seal the copy to load: ") + std::strerror(error));
  }
  return "/proc/self/fd/" + std::to_string(fd);
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

  bool trusted(const fs::path& path, const std::string& hash) {
    if (search_.trust_model_plugins) return true;
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
    std::optional<fs::path> load_path = path;
    if (source == PluginSource::model_dir) load_path = checked_model_dir_copy(path);
    else if (std::string problem = elf_problem(path); !problem.empty()) return fail(path, problem);
    if (!load_path) return;

    boost::dll::shared_library library;
    try {
      library.load(boost::dll::fs::path(load_path->string()),
                   boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
      return fail(path, std::string("cannot be loaded: ") + e.what() +
                            (source == PluginSource::model_dir
                                 ? " (a plugin next to a model may load only libraries installed on the system)"
                                 : " (was it built against this ftcore and libtorch?)"));
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

  /// A plugin of the model directory is read once, and what was read is hashed, checked and loaded
  /// from a sealed copy: the file cannot be swapped between the trust check and the load. Reports
  /// the failure and returns nullopt when it may not load.
  std::optional<fs::path> checked_model_dir_copy(const fs::path& path) {
    PluginBytes plugin;
    try {
      plugin = read_plugin(path);
    } catch (const UsageError& e) {
      fail(path, e.what());
      return std::nullopt;
    }
    if (!trusted(path, plugin.sha256)) return std::nullopt;
    const ElfBytes elf(plugin.bytes);
    std::string problem = elf_problem(elf, plugin.bytes.size());
    if (problem.empty() && elf.u(4, 1) == 2 && elf.u(5, 1) == 1)
      problem = dependency_problem(elf, path, *search_.model_dir);
    if (!problem.empty()) {
      fail(path, problem);
      return std::nullopt;
    }
    return sealed_copy(plugin.bytes, path.filename().string());
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
