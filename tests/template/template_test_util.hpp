// Helpers shared by the chat-template engine tests.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "template/jinja.hpp"

inline std::string render_template(const std::string& source, const std::string& variables_json) {
  ftcore::tmpl::Template tpl(source, "test");
  return tpl.render(nlohmann::ordered_json::parse(variables_json)).text;
}

inline void expect_render(const std::string& source, const std::string& variables_json, const std::string& expected) {
  try {
    EXPECT_EQ(render_template(source, variables_json), expected) << "template: " << source;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "template: " << source << "\nthrew: " << e.what();
  }
}

/// The TemplateError message of parsing and rendering, or "" when it succeeds.
inline std::string render_error(const std::string& source, const std::string& variables_json = "{}") {
  try {
    render_template(source, variables_json);
  } catch (const ftcore::tmpl::TemplateError& e) {
    return e.what();
  }
  return "";
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
