#pragma once
// The registry: every component a plugin offers, handed out by kind and name.

#include <memory>
#include <string>
#include <vector>

#include "ftcore/dataset_format.hpp"
#include "ftcore/export.hpp"
#include "ftcore/model_handler.hpp"
#include "ftcore/stop_policy.hpp"
#include "ftcore/training_method.hpp"

namespace ftcore {

enum class ComponentKind { handler, format, method, stop_policy };

/// "handler", "format", "method", "stop-policy".
FTCORE_API const char* component_kind_name(ComponentKind kind);

/// Passed to a plugin's register function; the only way to add components.
/// Each add() throws std::invalid_argument for an empty name. Names must be unique per kind:
/// a clash is reported by the loader, with both plugins' paths, after the register function returns.
class Registrar {
 public:
  virtual ~Registrar() = default;
  virtual void add(std::unique_ptr<ModelHandler> handler) = 0;
  virtual void add(std::unique_ptr<DatasetFormat> format) = 0;
  virtual void add(std::unique_ptr<TrainingMethod> method) = 0;
  /// Stop policies keep state during a run, so the registry stores a factory.
  virtual void add_stop_policy(std::string name, std::string description,
                               std::unique_ptr<StopPolicy> (*factory)()) = 0;
};

/// Where a registered component came from.
struct ComponentOrigin {
  std::string plugin;  ///< plugin name
  std::string path;    ///< shared library path ("" for components added by the engine itself)
};

/// All registered components. Not thread-safe for registration; lookups are read-only.
class FTCORE_API Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  const ModelHandler* handler(const std::string& name) const;
  const DatasetFormat* format(const std::string& name) const;
  const TrainingMethod* method(const std::string& name) const;
  /// A fresh policy instance, or nullptr when none has that name.
  std::unique_ptr<StopPolicy> make_stop_policy(const std::string& name) const;

  std::vector<const ModelHandler*> handlers() const;
  std::vector<const DatasetFormat*> formats() const;
  std::vector<const TrainingMethod*> methods() const;

  /// Sorted names of one kind.
  std::vector<std::string> names(ComponentKind kind) const;
  /// Description of a component; throws std::out_of_range when absent.
  std::string description(ComponentKind kind, const std::string& name) const;
  /// Origin of a component; nullptr when absent.
  const ComponentOrigin* origin(ComponentKind kind, const std::string& name) const;

  /// Adds everything staged by one plugin's register function, or nothing: throws
  /// std::runtime_error naming both origins when any name is already taken.
  class Staging;
  void commit(Staging&& staged);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// Collects what one register function adds, so a plugin that throws halfway or clashes
/// with another adds nothing at all.
class FTCORE_API Registry::Staging final : public Registrar {
 public:
  explicit Staging(ComponentOrigin origin);
  ~Staging() override;
  void add(std::unique_ptr<ModelHandler> handler) override;
  void add(std::unique_ptr<DatasetFormat> format) override;
  void add(std::unique_ptr<TrainingMethod> method) override;
  void add_stop_policy(std::string name, std::string description,
                       std::unique_ptr<StopPolicy> (*factory)()) override;

  /// (kind, name) of everything staged, in order of registration.
  std::vector<std::pair<ComponentKind, std::string>> components() const;

 private:
  friend class Registry;
  struct Items;
  ComponentOrigin origin_;
  std::unique_ptr<Items> items_;
};

}  // namespace ftcore
