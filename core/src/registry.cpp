// Registry: components by kind and name, added one plugin at a time through Staging.
#include "ftcore/registry.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace ftcore {

namespace {

struct PolicyEntry {
  std::string description;
  std::unique_ptr<StopPolicy> (*factory)();
};

template <typename T>
struct Entry {
  std::unique_ptr<T> object;
  ComponentOrigin origin;
};

void require_name(const std::string& name, ComponentKind kind) {
  if (name.empty())
    throw std::invalid_argument(std::string("a ") + component_kind_name(kind) +
                                " was registered with an empty name");
}

template <typename T>
std::vector<const T*> values_of(const std::map<std::string, Entry<T>>& entries) {
  std::vector<const T*> out;
  for (const auto& [name, entry] : entries) out.push_back(entry.object.get());
  return out;
}

}  // namespace

struct Registry::Staging::Items {
  std::vector<std::unique_ptr<ModelHandler>> handlers;
  std::vector<std::unique_ptr<DatasetFormat>> formats;
  std::vector<std::unique_ptr<TrainingMethod>> methods;
  std::vector<std::pair<std::string, PolicyEntry>> policies;
  std::vector<std::pair<ComponentKind, std::string>> order;
};

Registry::Staging::Staging(ComponentOrigin origin)
    : origin_(std::move(origin)), items_(std::make_unique<Items>()) {}
Registry::Staging::~Staging() = default;

void Registry::Staging::add(std::unique_ptr<ModelHandler> handler) {
  if (!handler) throw std::invalid_argument("a null handler was registered");
  require_name(handler->name(), ComponentKind::handler);
  items_->order.emplace_back(ComponentKind::handler, handler->name());
  items_->handlers.push_back(std::move(handler));
}

void Registry::Staging::add(std::unique_ptr<DatasetFormat> format) {
  if (!format) throw std::invalid_argument("a null format was registered");
  require_name(format->name(), ComponentKind::format);
  items_->order.emplace_back(ComponentKind::format, format->name());
  items_->formats.push_back(std::move(format));
}

void Registry::Staging::add(std::unique_ptr<TrainingMethod> method) {
  if (!method) throw std::invalid_argument("a null method was registered");
  require_name(method->name(), ComponentKind::method);
  items_->order.emplace_back(ComponentKind::method, method->name());
  items_->methods.push_back(std::move(method));
}

void Registry::Staging::add_stop_policy(std::string name, std::string description,
                                        std::unique_ptr<StopPolicy> (*factory)()) {
  require_name(name, ComponentKind::stop_policy);
  if (!factory) throw std::invalid_argument("stop policy '" + name + "' has no factory");
  items_->order.emplace_back(ComponentKind::stop_policy, name);
  items_->policies.push_back({std::move(name), PolicyEntry{std::move(description), factory}});
}

std::vector<std::pair<ComponentKind, std::string>> Registry::Staging::components() const {
  return items_->order;
}

struct Registry::Impl {
  std::map<std::string, Entry<ModelHandler>> handlers;
  std::map<std::string, Entry<DatasetFormat>> formats;
  std::map<std::string, Entry<TrainingMethod>> methods;
  std::map<std::string, Entry<PolicyEntry>> policies;

  const ComponentOrigin* origin(ComponentKind kind, const std::string& name) const {
    auto find = [&](const auto& entries) -> const ComponentOrigin* {
      auto it = entries.find(name);
      return it == entries.end() ? nullptr : &it->second.origin;
    };
    switch (kind) {
      case ComponentKind::handler: return find(handlers);
      case ComponentKind::format: return find(formats);
      case ComponentKind::method: return find(methods);
      case ComponentKind::stop_policy: return find(policies);
    }
    return nullptr;
  }
};

Registry::Registry() : impl_(std::make_unique<Impl>()) {}
Registry::~Registry() = default;

namespace {
std::string describe_origin(const ComponentOrigin& origin) {
  std::string where = origin.path.empty() ? "built into ftcore" : origin.path;
  return "plugin '" + origin.plugin + "' (" + where + ")";
}
}  // namespace

void Registry::commit(Staging&& staged) {
  // Check every name first, within the staged set and against the registry, so a clash
  // leaves the registry untouched.
  std::map<std::pair<ComponentKind, std::string>, int> seen;
  for (const auto& key : staged.items_->order) {
    const auto& [kind, name] = key;
    if (++seen[key] > 1)
      throw std::runtime_error(std::string(component_kind_name(kind)) + " '" + name +
                               "' is registered twice by " + describe_origin(staged.origin_));
    if (const ComponentOrigin* existing = impl_->origin(kind, name))
      throw std::runtime_error(std::string("duplicate ") + component_kind_name(kind) + " name '" +
                               name + "': " + describe_origin(staged.origin_) +
                               " registers it, but " + describe_origin(*existing) +
                               " already did; remove or rename one of them");
  }
  auto& items = *staged.items_;
  for (auto& h : items.handlers) {
    std::string name = h->name();
    impl_->handlers[name] = {std::move(h), staged.origin_};
  }
  for (auto& f : items.formats) {
    std::string name = f->name();
    impl_->formats[name] = {std::move(f), staged.origin_};
  }
  for (auto& m : items.methods) {
    std::string name = m->name();
    impl_->methods[name] = {std::move(m), staged.origin_};
  }
  for (auto& [name, policy] : items.policies)
    impl_->policies[name] = {std::make_unique<PolicyEntry>(std::move(policy)), staged.origin_};
  items = Staging::Items{};
}

const ModelHandler* Registry::handler(const std::string& name) const {
  auto it = impl_->handlers.find(name);
  return it == impl_->handlers.end() ? nullptr : it->second.object.get();
}

const DatasetFormat* Registry::format(const std::string& name) const {
  auto it = impl_->formats.find(name);
  return it == impl_->formats.end() ? nullptr : it->second.object.get();
}

const TrainingMethod* Registry::method(const std::string& name) const {
  auto it = impl_->methods.find(name);
  return it == impl_->methods.end() ? nullptr : it->second.object.get();
}

std::unique_ptr<StopPolicy> Registry::make_stop_policy(const std::string& name) const {
  auto it = impl_->policies.find(name);
  return it == impl_->policies.end() ? nullptr : it->second.object->factory();
}

std::vector<const ModelHandler*> Registry::handlers() const { return values_of(impl_->handlers); }
std::vector<const DatasetFormat*> Registry::formats() const { return values_of(impl_->formats); }
std::vector<const TrainingMethod*> Registry::methods() const { return values_of(impl_->methods); }

std::vector<std::string> Registry::names(ComponentKind kind) const {
  std::vector<std::string> out;
  auto collect = [&](const auto& entries) {
    for (const auto& [name, entry] : entries) out.push_back(name);
  };
  switch (kind) {
    case ComponentKind::handler: collect(impl_->handlers); break;
    case ComponentKind::format: collect(impl_->formats); break;
    case ComponentKind::method: collect(impl_->methods); break;
    case ComponentKind::stop_policy: collect(impl_->policies); break;
  }
  return out;  // std::map keeps them sorted
}

std::string Registry::description(ComponentKind kind, const std::string& name) const {
  switch (kind) {
    case ComponentKind::handler:
      if (auto* h = handler(name)) return h->description();
      break;
    case ComponentKind::format:
      if (auto* f = format(name)) return f->description();
      break;
    case ComponentKind::method:
      if (auto* m = method(name)) return m->description();
      break;
    case ComponentKind::stop_policy: {
      auto it = impl_->policies.find(name);
      if (it != impl_->policies.end()) return it->second.object->description;
      break;
    }
  }
  throw std::out_of_range(std::string("no ") + component_kind_name(kind) + " named '" + name + "'");
}

const ComponentOrigin* Registry::origin(ComponentKind kind, const std::string& name) const {
  return impl_->origin(kind, name);
}

}  // namespace ftcore
