// Error behaviour: every syntax and render error is a TemplateError naming template:line:column,
// with jinja2's own message text (checked against jinja2 3.1.4).
#include "template_test_util.hpp"

using ftcore::tmpl::Template;
using ftcore::tmpl::TemplateError;

TEST(Errors, UnknownFilterIsASyntaxErrorWithLocation) {
  EXPECT_EQ(render_error("line1\n{{ x | frobnicate }}"), "test:2:8: No filter named 'frobnicate'.");
  EXPECT_THROW(Template("{{ x | frobnicate }}", "chat_template"), TemplateError);
}

TEST(Errors, UnknownTest) {
  EXPECT_EQ(render_error("{{ x is frobnicated }}"), "test:1:9: No test named 'frobnicated'.");
}

TEST(Errors, UnknownFilterInsideIfIsLazyLikeJinja) {
  // jinja2 defers unknown filters inside `if` to run time ("soft" frames).
  EXPECT_EQ(render_template("{% if false %}{{ x | frobnicate }}{% endif %}ok", "{}"), "ok");
  EXPECT_EQ(render_error("{% if true %}{{ x | frobnicate }}{% endif %}"), "test:1:21: No filter named 'frobnicate' found.");
}

TEST(Errors, MismatchedEndTag) {
  EXPECT_EQ(render_error("{% for x in y %}\n  {% if x %}\n  {% endfor %}"),
            "test:3:6: Encountered unknown tag 'endfor'. You probably made a nesting mistake. Jinja is expecting "
            "this tag, but currently looking for 'elif' or 'else' or 'endif'. The innermost block that needs to be "
            "closed is 'if'.");
}

TEST(Errors, UnclosedBlock) {
  EXPECT_EQ(render_error("{% if true %}abc"),
            "test:1:17: Unexpected end of template. Jinja was looking for the following tags: 'elif' or 'else' or "
            "'endif'. The innermost block that needs to be closed is 'if'.");
}

TEST(Errors, UnknownTag) { EXPECT_EQ(render_error("{% frob %}"), "test:1:4: Encountered unknown tag 'frob'."); }

TEST(Errors, TemplateNameInMessage) {
  try {
    Template("a\n\n  {% endif %}", "chat_template");
    FAIL() << "expected a TemplateError";
  } catch (const TemplateError& e) {
    EXPECT_EQ(std::string(e.what()), "chat_template:3:6: Encountered unknown tag 'endif'.");
  }
}

TEST(Errors, RaiseExceptionPassesMessageThrough) {
  EXPECT_EQ(render_error("{% if messages|length > 1 %}{{ raise_exception('Only one message, please') }}{% endif %}",
                         R"({"messages": [1, 2]})"),
            "test:1:32: Only one message, please");
}

TEST(Errors, UndefinedAttributeAccessRaises) {
  EXPECT_EQ(render_error("{{ nothing.attr }}"), "test:1:11: 'nothing' is undefined");
  EXPECT_EQ(render_error("{{ d.a.b }}", R"({"d": {}})"), "test:1:7: 'dict object' has no attribute 'a'");
  EXPECT_EQ(render_error("{{ nothing + 1 }}"), "test:1:12: 'nothing' is undefined");
  EXPECT_EQ(render_error("{{ nothing[0] }}"), "test:1:11: 'nothing' is undefined");
}

TEST(Errors, UnknownMethod) {
  EXPECT_EQ(render_error("{{ 'x'.frob() }}"), "test:1:7: 'str object' has no attribute 'frob'");
}

TEST(Errors, SandboxBlocksMutatingMethods) {
  EXPECT_EQ(render_error("{% set xs = [] %}{% set _ = xs.append(1) %}"),
            "test:1:31: access to attribute 'append' of 'list' object is unsafe.");
  EXPECT_EQ(render_error("{% set d = {} %}{{ d.update({}) }}"),
            "test:1:21: access to attribute 'update' of 'dict' object is unsafe.");
}

TEST(Errors, PythonTypeErrors) {
  EXPECT_EQ(render_error("{{ 'a' + 1 }}"), "test:1:8: can only concatenate str (not \"int\") to str");
  EXPECT_EQ(render_error("{{ 1 + 'a' }}"), "test:1:6: unsupported operand type(s) for +: 'int' and 'str'");
  EXPECT_EQ(render_error("{{ 1 // 0 }}"), "test:1:6: integer division or modulo by zero");
  EXPECT_EQ(render_error("{{ 1 < 'a' }}"), "test:1:4: '<' not supported between instances of 'int' and 'str'");
  EXPECT_EQ(render_error("{{ [1]|select|length }}"), "test:1:15: object of type 'generator' has no len()");
  EXPECT_EQ(render_error("{{ nothing|tojson }}"), "test:1:12: Object of type Undefined is not JSON serializable");
  EXPECT_EQ(render_error("{{ [1]|items|list }}"), "test:1:8: Can only get item pairs from a mapping.");
  EXPECT_EQ(render_error("{% for a, b in [[1]] %}{% endfor %}"), "test:1:4: not enough values to unpack (expected 2, got 1)");
  EXPECT_EQ(render_error("{% set d = {} %}{% set d.x = 1 %}"), "test:1:20: cannot assign attribute on non-namespace object");
}

TEST(Errors, SyntaxErrors) {
  EXPECT_EQ(render_error("{{ 1 + }}"), "test:1:8: unexpected 'end of print statement'");
  EXPECT_EQ(render_error("{{ 'abc }}"), "test:1:4: unexpected char \"'\" at 3");
  EXPECT_EQ(render_error("{{ (1, 2] }}"), "test:1:9: unexpected ']', expected ')'");
  EXPECT_EQ(render_error("{# abc"), "test:1:1: Missing end of comment tag");
  EXPECT_EQ(render_error("{% for x in [1] %}{% endfor %}{% break %}"), "test:1:34: 'break' outside loop");
  EXPECT_EQ(render_error("{% if x %}{% else %}{% elif y %}{% endif %}"),
            "test:1:24: Encountered unknown tag 'elif'. Jinja was looking for the following tags: 'endif'. The "
            "innermost block that needs to be closed is 'if'.");
  EXPECT_EQ(render_error("{{ 1 "), "test:1:6: unexpected end of template, expected 'end of print statement'.");
  EXPECT_EQ(render_error("{% if %}"), "test:1:7: Expected an expression, got 'end of statement block'");
  EXPECT_EQ(render_error("{% for x in y %}{% endif %}"),
            "test:1:20: Encountered unknown tag 'endif'. Jinja was looking for the following tags: 'endfor' or "
            "'else'. The innermost block that needs to be closed is 'for'.");
}

TEST(Errors, ErrorsDeriveFromRuntimeError) {
  try {
    Template("{{ x.y }}").render(nlohmann::ordered_json::object());
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("'x' is undefined"), std::string::npos);
  }
}
