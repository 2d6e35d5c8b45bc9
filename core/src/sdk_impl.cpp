// Out-of-line parts of the SDK's shared types.
#include <array>

#include "ftcore/dataset_format.hpp"
#include "ftcore/registry.hpp"
#include "ftcore/sample.hpp"

namespace ftcore {

namespace {
constexpr std::array<std::pair<Role, const char*>, 5> kRoleNames{{
    {Role::system, "system"},
    {Role::developer, "developer"},
    {Role::user, "user"},
    {Role::assistant, "assistant"},
    {Role::tool, "tool"},
}};
}  // namespace

FormatError::~FormatError() = default;

const char* role_name(Role role) {
  for (const auto& [value, name] : kRoleNames)
    if (value == role) return name;
  return "unknown";
}

std::optional<Role> parse_role(const std::string& name) {
  for (const auto& [value, spelled] : kRoleNames)
    if (name == spelled) return value;
  return std::nullopt;
}

std::string SourceLocation::str() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  if (line > 0 && column > 0) out += ":" + std::to_string(column);
  return out;
}

const char* sample_kind_name(Sample::Kind kind) {
  switch (kind) {
    case Sample::Kind::conversation: return "conversation";
    case Sample::Kind::prompt_completion: return "prompt-completion";
    case Sample::Kind::text: return "text";
  }
  return "unknown";
}

const char* component_kind_name(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::handler: return "handler";
    case ComponentKind::format: return "format";
    case ComponentKind::method: return "method";
    case ComponentKind::stop_policy: return "stop-policy";
  }
  return "unknown";
}

}  // namespace ftcore
