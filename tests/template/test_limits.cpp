// Hostile chat templates (they come with downloaded models): every one of these used to crash
// (SIGFPE, SIGSEGV, a use-after-free), hang or allocate without bound; each must now end with a
// TemplateError "name:line:column: ..." that says which limit it hit (jinja.hpp: Limits).
#include <chrono>
#include <regex>
#include <string>

#include "template_test_util.hpp"

using ftcore::tmpl::Limits;
using ftcore::tmpl::Template;
using ftcore::tmpl::TemplateError;

namespace {

std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t k = 0; k < n; ++k) out += s;
  return out;
}

/// The TemplateError of parsing and rendering with these limits ("" when it renders).
std::string error_with(const std::string& source, const Limits& limits, const std::string& variables = "{}") {
  try {
    Template tpl(source, "test", limits);
    tpl.render(nlohmann::ordered_json::parse(variables));
  } catch (const TemplateError& e) {
    return e.what();
  }
  return "";
}

/// Expects a TemplateError with a "test:line:column: " prefix whose message contains `fragment`.
void expect_error(const std::string& source, const std::string& fragment, const Limits& limits = Limits(),
                  const std::string& variables = "{}") {
  const std::string message = error_with(source, limits, variables);
  ASSERT_FALSE(message.empty()) << "rendered without an error: " << source.substr(0, 120);
  EXPECT_TRUE(std::regex_search(message, std::regex("^test:[0-9]+:[0-9]+: "))) << message;
  EXPECT_NE(message.find(fragment), std::string::npos) << "'" << fragment << "' not in: " << message;
}

/// Runs `body` and expects it to take less than `seconds` (ASan builds included).
template <typename F>
void expect_fast(F body, double seconds, const char* what) {
  const auto start = std::chrono::steady_clock::now();
  body();
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took.count(), seconds) << what;
}

const char* kOverflow = "does not fit in 64 bits";

// ---- 1. division and modulo -------------------------------------------------------------------

TEST(TemplateLimits, IntMinFloorDivMinusOneIsAnErrorNotSigfpe) {
  EXPECT_EQ(render_error("{{ (-9223372036854775807-1) // -1 }}"),
            "test:1:29: integer overflow: -9223372036854775808 // -1 does not fit in 64 bits");
}

TEST(TemplateLimits, ModuloMinusOneIsZeroLikePython) {
  expect_render("{{ (-9223372036854775807-1) % -1 }}", "{}", "0");
  expect_render("{{ -5 % -1 }}|{{ 7 % -1 }}|{{ 0 % -1 }}", "{}", "0|0|0");
  expect_render("{{ 7 // -1 }}|{{ -7 // -1 }}|{{ (-9223372036854775807-1) // 1 }}", "{}",
                "-7|7|-9223372036854775808");
  expect_render("{{ (-9223372036854775807-1) / -1 }}", "{}", "9.223372036854776e+18");
}

TEST(TemplateLimits, DivisionByZeroStillFails) {
  EXPECT_EQ(render_error("{{ 1 // 0 }}"), "test:1:6: integer division or modulo by zero");
  EXPECT_EQ(render_error("{{ (-9223372036854775807-1) % 0 }}"), "test:1:29: integer division or modulo by zero");
  EXPECT_EQ(render_error("{{ 1 / 0 }}"), "test:1:6: division by zero");
  EXPECT_EQ(render_error("{{ 1.5 // 0 }}"), "test:1:8: float floor division by zero");
  EXPECT_EQ(render_error("{{ 1.5 % 0 }}"), "test:1:8: float modulo");
}

// ---- 2. integer overflow ----------------------------------------------------------------------

TEST(TemplateLimits, IntegerOverflowIsAnError) {
  EXPECT_EQ(render_error("{{ 9223372036854775807 + 1 }}"),
            "test:1:24: integer overflow: 9223372036854775807 + 1 does not fit in 64 bits");
  EXPECT_EQ(render_error("{{ (-9223372036854775807-1) - 1 }}"),
            "test:1:29: integer overflow: -9223372036854775808 - 1 does not fit in 64 bits");
  EXPECT_EQ(render_error("{{ 4294967296 * 4294967296 }}"),
            "test:1:15: integer overflow: 4294967296 * 4294967296 does not fit in 64 bits");
  EXPECT_EQ(render_error("{{ 2 ** 64 }}"), "test:1:6: integer overflow: 2 ** 64 does not fit in 64 bits");
  EXPECT_EQ(render_error("{{ -(-9223372036854775807-1) }}"),
            "test:1:4: integer overflow: -(-9223372036854775808) does not fit in 64 bits");
  expect_error("{{ 1e300|int }}", "integer overflow: int(1e+300) does not fit in 64 bits");
  expect_error("{{ -1e19|int }}", kOverflow);
  expect_error("{{ '99999999999999999999'|int }}", "integer overflow: int('99999999999999999999')");
  expect_error("{{ '1e30'|int }}", kOverflow);
  expect_error("{{ (-9223372036854775807-1)|abs }}", "integer overflow: abs(-9223372036854775808)");
  expect_error("{{ 99999999999999999999 }}", "integer overflow: literal 99999999999999999999 does not fit in 64 bits");
  expect_error("{{ x.99999999999999999999 }}", "integer overflow: literal");
  expect_error("{{ [9223372036854775807, 1]|sum }}", kOverflow);
  expect_error("{% set ns = namespace(n=3) %}{% for i in range(100) %}{% set ns.n = ns.n * ns.n %}{% endfor %}",
               kOverflow);
}

TEST(TemplateLimits, ResultsThatFitAreExact) {
  expect_render("{{ (-2) ** 63 }}|{{ 3 ** 39 }}|{{ 2 ** 62 }}|{{ (-1) ** 9223372036854775807 }}", "{}",
                "-9223372036854775808|4052555153018976267|4611686018427387904|-1");
  expect_render("{{ 0 ** 9223372036854775807 }}|{{ 1 ** 9223372036854775807 }}|{{ 2 ** 0 }}", "{}", "0|1|1");
  expect_render("{{ 9223372036854775806 + 1 }}|{{ -9223372036854775807 - 1 }}", "{}",
                "9223372036854775807|-9223372036854775808");
  expect_render("{{ 9.2e18|int }}|{{ -9.2e18|int }}|{{ '-9223372036854775808'|int }}", "{}",
                "9200000000000000000|-9200000000000000000|-9223372036854775808");
  expect_render("{{ 2 ** -1 }}", "{}", "0.5");
  // range() with extreme arguments: its length is computed without overflow.
  expect_render("{{ range(-9223372036854775807-1, 9223372036854775807, 2**62)|list }}", "{}",
                "[-9223372036854775808, -4611686018427387904, 0, 4611686018427387904]");
  expect_render("{{ range(9223372036854775807, -9223372036854775807-1, -9223372036854775807)|list }}", "{}",
                "[9223372036854775807, 0, -9223372036854775807]");
  expect_render("{{ 'abc'[2::9223372036854775807] }}|{{ 'abc'[::-9223372036854775807-1] }}", "{}", "c|c");
}

// ---- 3. nesting --------------------------------------------------------------------------------

TEST(TemplateLimits, TenThousandNestedParenthesesFailToParse) {
  const std::string source = "{{ " + repeat("(", 10000) + "1" + repeat(")", 10000) + " }}";
  expect_error(source, "too deeply nested: blocks and expressions nest more than 200 levels deep (Limits::max_nesting)");
  expect_error("{{ " + repeat("[", 10000) + "1" + repeat("]", 10000) + " }}", "(Limits::max_nesting)");
  expect_error("{{ " + repeat("f(", 10000) + "1" + repeat(")", 10000) + " }}", "(Limits::max_nesting)");
  expect_error("{{ " + repeat("{1: ", 10000) + "1" + repeat("}", 10000) + " }}", "(Limits::max_nesting)");
  expect_error("{{ " + repeat("-", 20000) + "1 }}", "(Limits::max_nesting)");
  expect_error("{{ " + repeat("not ", 20000) + "1 }}", "(Limits::max_nesting)");
  expect_error("{{ " + repeat("1 if x else ", 20000) + "1 }}", "(Limits::max_nesting)");
  expect_error("{{ x is sameas " + repeat("(", 10000) + "1" + repeat(")", 10000) + " }}", "(Limits::max_nesting)");
}

TEST(TemplateLimits, ThirtyThousandNestedBlocksFailToParse) {
  expect_error(repeat("{% if true %}", 30000) + "x" + repeat("{% endif %}", 30000),
               "too deeply nested: blocks and expressions nest more than 200 levels deep");
  expect_error(repeat("{% for a in x %}", 30000) + repeat("{% endfor %}", 30000), "(Limits::max_nesting)");
  expect_error(repeat("{% set a %}", 30000), "(Limits::max_nesting)");
  expect_error(repeat("{% macro m() %}", 30000), "(Limits::max_nesting)");
  expect_error(repeat("{% filter upper %}", 30000), "(Limits::max_nesting)");
  // Unclosed: the error comes from the limit, before the end of the template is reached.
  expect_error(repeat("{% if true %}", 30000), "(Limits::max_nesting)");
}

TEST(TemplateLimits, LongOperatorChainsAreBoundedToo) {
  // The parser builds these in loops, not by recursion; rendering and destroying the tree recurse.
  expect_error("{{ " + repeat("x + ", 100000) + "x }}",
               "expression too deeply nested: operators, filters, calls and subscripts nest more than 200 levels deep "
               "(Limits::max_nesting)",
               Limits(), R"({"x": 1})");
  expect_error("{{ x" + repeat("|abs", 100000) + " }}", "(Limits::max_nesting)");
  // (20,000 levels are enough to overflow the stack while rendering or destroying the tree.)
  expect_error("{{ x" + repeat(".a", 20000) + " }}", "(Limits::max_nesting)");
  expect_error("{{ x" + repeat("[0]", 20000) + " }}", "(Limits::max_nesting)");
  expect_error("{{ x" + repeat("()", 20000) + " }}", "(Limits::max_nesting)");
  expect_error("{{ x" + repeat(" or x", 20000) + " }}", "(Limits::max_nesting)");
  expect_error("{{ x" + repeat(" and x", 20000) + " }}", "(Limits::max_nesting)");
  expect_error("{{ x" + repeat(" if x", 20000) + " }}", "(Limits::max_nesting)");
}

TEST(TemplateLimits, NestingUpToTheLimitStillWorks) {
  // 199 parentheses, 199 blocks, a 199-term chain: within max_nesting (200), as in Python jinja2.
  expect_render("{{ " + repeat("(", 199) + "1" + repeat(")", 199) + " }}", "{}", "1");
  expect_render(repeat("{% if true %}", 199) + "x" + repeat("{% endif %}", 199), "{}", "x");
  expect_render("{{ " + repeat("x + ", 199) + "x }}", R"({"x": 1})", "200");
  expect_render("{{ x" + repeat("|abs", 199) + " }}", R"({"x": -1})", "1");
  // ~ and comparison chains are flat (one node), so they may be as long as they like.
  expect_render("{{ " + repeat("'a' ~ ", 5000) + "'b' }}", "{}", repeat("a", 5000) + "b");
  expect_render("{{ " + repeat("1 < ", 5000) + "2 }}", "{}", "False");
}

TEST(TemplateLimits, NestingLimitIsConfigurable) {
  Limits limits;
  limits.max_nesting = 10;
  EXPECT_EQ(error_with("{{ " + repeat("(", 9) + "1" + repeat(")", 9) + " }}", limits), "");
  EXPECT_NE(error_with("{{ " + repeat("(", 10) + "1" + repeat(")", 10) + " }}", limits).find("more than 10 levels"),
            std::string::npos);
  EXPECT_NE(error_with("{{ " + repeat("1 + ", 10) + "1 }}", limits).find("more than 10 levels"), std::string::npos);
}

TEST(TemplateLimits, RenderRecursionIsBounded) {
  // Macros recursing through deeply nested bodies: within max_call_depth (200 calls of 100 levels
  // each), but far too deep for the stack.
  const std::string nested = "{% macro m(n) %}{% if n > 0 %}" + repeat("{% for a in [1] %}{% if true %}", 50) +
                             "{% set x %}{% filter upper %}{{ m(n - 1) }}{% endfilter %}{% endset %}{{ x }}" +
                             repeat("{% endif %}{% endfor %}", 50) + "{% endif %}{% endmacro %}{{ m(1000) }}";
  expect_error(nested,
               "maximum recursion depth exceeded: statements and expressions nest more than 1000 levels deep while "
               "rendering (Limits::max_render_depth)");
  std::string chain = "m(n - 1)";
  for (int k = 0; k < 150; ++k) chain = "(" + chain + " ~ '')";
  expect_error("{% macro m(n) %}{% if n > 0 %}{{ " + chain + " }}{% endif %}{% endmacro %}{{ m(1000) }}",
               "(Limits::max_render_depth)");
  Limits limits;
  limits.max_render_depth = 50;
  expect_error(repeat("{% if true %}", 60) + "x" + repeat("{% endif %}", 60), "more than 50 levels deep while rendering",
               limits);
}

TEST(TemplateLimits, SelfRecursiveMacrosAreBounded) {
  const char* message = "maximum recursion depth exceeded: more than 200 nested macro calls (Limits::max_call_depth)";
  expect_error("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", message);
  // Through caller(): a call block inside the macro calls the macro again.
  expect_error("{% macro m() %}{% call m() %}x{% endcall %}{% endmacro %}{{ m() }}", message);
  expect_error("{% macro w() %}{{ caller() }}{% endmacro %}{% macro r() %}{% call w() %}{{ r() }}{% endcall %}"
               "{% endmacro %}{{ r() }}",
               message);
  // A caller() stored away calls itself without any macro call in between.
  expect_error("{% set ns = namespace(c=none) %}{% macro m() %}{% set ns.c = caller %}{% endmacro %}"
               "{% call m() %}{{ ns.c() }}{% endcall %}{{ ns.c() }}",
               message);
  // Through filter and set blocks, and as a filter's input.
  expect_error("{% macro m() %}{% filter upper %}{{ m() }}{% endfilter %}{% endmacro %}{{ m() }}", message);
  expect_error("{% macro m() %}{% set x %}{{ m() }}{% endset %}{% endmacro %}{{ m() }}", message);
  // (Each level of these also nests five evaluations, so max_render_depth may be reached first.)
  expect_error("{% macro m() %}{{ m()|upper|trim }}{% endmacro %}{{ m() }}", "maximum recursion depth exceeded");
  expect_error("{% macro m() %}{{ [m()]|map('upper')|join }}{% endmacro %}{{ m() }}",
               "maximum recursion depth exceeded");
  // Recursion that ends in time still renders.
  expect_render("{% macro m(n) %}{% if n > 0 %}{{ n }}{{ m(n - 1) }}{% endif %}{% endmacro %}{{ m(5) }}", "{}",
                "54321");
  expect_render("{% macro m(n) %}{% if n > 0 %}{{ m(n - 1) }}{% endif %}{% endmacro %}{{ m(199) }}x", "{}", "x");
}

TEST(TemplateLimits, DeeplyNestedValuesAreBounded) {
  // Values whose destruction, printing or comparison would recurse past the stack.
  const char* message = "value nested too deeply: lists and dicts nest more than 256 levels deep (Limits::max_value_depth)";
  expect_error("{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}",
               message);
  expect_error("{% set ns = namespace(x={}) %}{% for i in range(100000) %}{% set ns.x = {'a': ns.x} %}{% endfor %}",
               message);
  expect_error(
      "{% set ns = namespace(x=none) %}{% for i in range(100000) %}{% set ns.x = namespace(p=ns.x) %}{% endfor %}",
      message);
  expect_error("{% set ns = namespace(x=[].copy) %}{% for i in range(100000) %}{% set ns.x = [ns.x].copy %}{% endfor %}",
               message);
  // Variables: JSON nested 100,000 deep (nlohmann parses it iteratively).
  std::string deep = R"({"x": )" + repeat("[", 100000) + repeat("]", 100000) + "}";
  EXPECT_EQ(error_with("{{ x|length }}", Limits(), deep),
            "test:1:1: variable 'x': value nested too deeply: lists and dicts nest more than 256 levels deep "
            "(Limits::max_value_depth)");
  expect_render("{{ x|length }}", R"({"x": [[[[1]]]]})", "1");
}

TEST(TemplateLimits, NamespaceChainsLinkedLateAreBounded) {
  // Each link is made while its target is still empty, so no value looks deep when it is built,
  // yet the chain is 60,000 namespaces long: printing it is checked level by level, and freeing
  // it (at the end of the render) must not recurse either.
  const std::string chain =
      "{% set ns = namespace(tail=namespace()) %}{% set first = ns.tail %}{% for i in range(60000) %}"
      "{% set n = namespace() %}{% set t = ns.tail %}{% set t.next = n %}{% set ns.tail = n %}{% endfor %}";
  // Dropping the only references frees the chain (it used to be freed recursively: SIGSEGV).
  expect_render(chain + "{{ first == first }}{% set first = 0 %}{% set ns.tail = 0 %}|ok", "{}", "True|ok");
  expect_error(chain + "{{ first }}", "value nested too deeply: lists and dicts nest more than 256 levels deep");
}

TEST(TemplateLimits, NamespaceThatHoldsItselfPrintsLikePython) {
  expect_render("{% set ns = namespace() %}{% set ns.x = ns %}{{ ns }}", "{}", "<Namespace {'x': <Namespace {...}>}>");
  expect_render("{% set ns = namespace() %}{% set ns.x = [ns, {'a': ns}] %}{{ ns }}", "{}",
                "<Namespace {'x': [<Namespace {...}>, {'a': <Namespace {...}>}]}>");
}

TEST(TemplateLimits, MacroCalledAfterItsBlockEndedFailsInsteadOfUseAfterFree) {
  // The macro's scope (the loop iteration) is gone when it is called: this was a stack use-after-free.
  expect_error("{% set ns = namespace() %}{% for i in [1] %}{% macro m() %}{{ i }}{% endmacro %}{% set ns.m = m %}"
               "{% endfor %}{{ ns.m() }}",
               "macro 'm' is called after the block that defined it ended (not supported)");
  expect_error("{% set ns = namespace() %}{% macro keep() %}{% set ns.c = caller %}{% endmacro %}"
               "{% for i in [1] %}{% call keep() %}{{ i }}{% endcall %}{% endfor %}{{ ns.c() }}",
               "caller() is called after its call block ended (not supported)");
  // Within its block it works as before.
  expect_render("{% for i in [1, 2] %}{% macro m() %}{{ i }}{% endmacro %}{{ m() }}{% endfor %}", "{}", "12");
}

// ---- 4. sizes ----------------------------------------------------------------------------------

TEST(TemplateLimits, HugeRepeatsFailBeforeAllocating) {
  expect_fast(
      [] {
        EXPECT_EQ(render_error("{{ 'a'*10**9 }}"),
                  "test:1:7: string too long: '*' would make a string of 1000000000 bytes, more than the limit of "
                  "67108864 (Limits::max_string_bytes)");
        expect_error("{{ 'ab' * 10**18 }}", "string too long: '*' would make a string of 2000000000000000000 bytes");
        expect_error("{{ 10**18 * 'ab' }}", "(Limits::max_string_bytes)");
        expect_error("{{ [1]*10**9 }}",
                     "list too long: '*' would make a list of 1000000000 items, more than the limit of 1048576 "
                     "(Limits::max_list_items)");
        expect_error("{{ (1, 2, 3) * 9223372036854775807 }}", "would make a list of more than 2**64 items");
      },
      1.0, "huge repeats");
}

TEST(TemplateLimits, EmptyRepeatsAreConstantTime) {
  expect_fast(
      [] {
        expect_render("[{{ ''*10**18 }}]", "{}", "[]");
        expect_render("{{ ([]*10**18)|length }}|{{ (()*10**18)|length }}|{{ 'ab'*-5 }}|{{ [1]*0 }}", "{}",
                      "0|0||[]");
        expect_render("{{ 'ab' * 3 }}|{{ [1, 2] * 2 }}|{{ 2 * (1,) }}", "{}", "ababab|[1, 2, 1, 2]|(1, 1)");
      },
      1.0, "empty repeats");
}

TEST(TemplateLimits, GrowingOperationsFailBeforeAllocating) {
  // With the default limits: nothing of that size is ever allocated.
  expect_error("{{ 'a'|indent(10**12) }}", "string too long: indent would make a string of 1000000000000 bytes");
  expect_error("{{ [[1]]|tojson(indent=10**12) }}", "string too long: tojson would make a string of 1000000000000");
  expect_error("{{ 'ab'|replace('', 'x' * 60000000) }}", "string too long: replace would make a string of 180000002");
  // A small max_string_bytes shows each operation checks its result's size.
  Limits limits;
  limits.max_string_bytes = 1000;
  const std::string s = "{% set s = 'x' * 600 %}";
  auto check = [&](const std::string& source, const std::string& fragment) { expect_error(source, fragment, limits); };
  check(s + "{{ s + s }}", "string too long: '+' would make a string of 1200 bytes, more than the limit of 1000");
  check(s + "{{ s ~ s }}", "string too long: concatenating strings would make a string of 1200 bytes");
  check(s + "{{ [s, s]|join }}", "string too long: concatenating strings would make a string of 1200 bytes");
  check(s + "{{ ','.join([s, s]) }}", "string too long: join would make a string of 1201 bytes");
  check(s + "{{ [s, s]|join(s) }}", "string too long: join would make a string of 1200 bytes");
  check(s + "{{ s|replace('x', 'yy') }}", "string too long: replace would make a string of 1200 bytes");
  check(s + "{{ s.replace('', '-') }}", "string too long: replace would make a string of 1201 bytes");
  check("{{ 'a\nb'|indent(600) }}", "string too long: indent would make a string of");
  check("{{ [[1, [1]]]|tojson(indent=600) }}", "string too long: tojson");
  check("{{ ('<' * 300)|escape }}", "string too long: escape would make a string of 1200 bytes");
  check(s + "{{ [s, s] }}", "string too long: str() / repr() would make a string of");
  check(s + "{{ [s, s]|tojson }}", "string too long: tojson would make a string of");
  check(s + "{{ {s: s} }}", "string too long: str() / repr()");
  check(s + "{{ s|upper ~ s|lower }}", "string too long");
  check("{{ '" + repeat("x", 2000) + "' }}",
        "string literal too long: more than 1000 bytes (Limits::max_string_bytes)");
  // A list of references to one list, printed: 10^9 elements.
  check("{% set a = [1]*1000 %}{% set b = [a]*1000 %}{% set c = [b]*1000 %}{{ c }}",
        "string too long: str() / repr() would make a string of");
  check("{% set a = [1]*1000 %}{% set b = [a]*1000 %}{% set c = [b]*1000 %}{{ c|tojson }}",
        "string too long: tojson would make a string of");
  EXPECT_EQ(error_with(s + "{{ s }}", limits), "");
}

TEST(TemplateLimits, OutputSizeIsCapped) {
  expect_error("{% set s = 'x' * 40000000 %}{{ s }}{{ s }}",
               "output too long: the rendered text would exceed 67108864 bytes (Limits::max_output_bytes)");
  Limits limits;
  limits.max_output_bytes = 1000;
  expect_error("{% for i in range(10000) %}{{ i }}{% endfor %}", "would exceed 1000 bytes (Limits::max_output_bytes)",
               limits);
  expect_error("{% for i in range(10000) %}xxxxxxxxxx{% endfor %}", "(Limits::max_output_bytes)", limits);
  expect_error("{% for i in range(10000) %}{% generation %}xxxxxxxxxx{% endgeneration %}{% endfor %}",
               "(Limits::max_output_bytes)", limits);
  EXPECT_EQ(error_with(repeat("x", 1000), limits), "");
  EXPECT_NE(error_with(repeat("x", 1001), limits).find("(Limits::max_output_bytes)"), std::string::npos);
  // Text captured by a block is a string value: max_string_bytes applies.
  limits = Limits();
  limits.max_string_bytes = 1000;
  expect_error("{% set x %}{% for i in range(10000) %}{{ i }}{% endfor %}{% endset %}",
               "string too long: the text of a block or macro would make a string of", limits);
  expect_error("{% filter upper %}{% for i in range(10000) %}{{ i }}{% endfor %}{% endfilter %}",
               "string too long: the text of a block or macro", limits);
  expect_error("{% macro m() %}{% for i in range(10000) %}{{ i }}{% endfor %}{% endmacro %}{% set x = m() %}",
               "(Limits::max_string_bytes)", limits);
  expect_error("{{ 'x' * 1001 }}", "(Limits::max_string_bytes)", limits);
  expect_error("{{ x }}", "variable 'x': string too long", limits, R"({"x": ")" + repeat("y", 2000) + R"("})");
}

TEST(TemplateLimits, ListSizeIsCapped) {
  Limits limits;
  limits.max_list_items = 1000;
  expect_error("{{ ('a ' * 2000).split()|length }}", "list too long: split would make a list of 1001 items", limits);
  expect_error("{{ ('a,' * 2000).split(',')|length }}", "list too long: split", limits);
  expect_error("{{ ('a,' * 2000).rsplit(',')|length }}", "list too long: rsplit", limits);
  expect_error("{{ ('a\n' * 2000).splitlines()|length }}", "list too long: splitlines", limits);
  expect_error("{{ ('a' * 2000)|list|length }}", "list too long: iterating over a string would make a list of 2000", limits);
  expect_error("{{ (range(600)|list + range(600)|list)|length }}", "list too long: '+' would make a list of 1200 items",
               limits);
  expect_error("{{ x|length }}", "variable 'x': list too long", limits, "{\"x\": [" + repeat("1,", 2000) + "1]}");
  // first/last of a long string do not list its characters.
  expect_render("{{ ('ab' * 2000000)|first }}{{ ('ab' * 2000000)|last }}|{{ 'é€'|last }}|{{ 'é€'|first }}", "{}",
                "ab|€|é");
}

// ---- 5. step budget -----------------------------------------------------------------------------

TEST(TemplateLimits, RangeLargerThanMaxRangeFailsLikeTheSandbox) {
  EXPECT_EQ(render_error("{% for i in range(10**9) %}{% endfor %}"),
            "test:1:13: Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
  EXPECT_EQ(render_error("{{ range(0, 10**9, 2)|length }}"),
            "test:1:4: Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
  expect_render("{{ range(100000)|length }}|{{ range(0, 200000, 2)|length }}", "{}", "100000|100000");
}

TEST(TemplateLimits, NestedLoopsRunOutOfSteps) {
  Limits limits;
  limits.max_steps = 1000000;
  const std::string message =
      "render step budget exhausted: more than 1000000 evaluation steps (Limits::max_steps); the template loops too much";
  expect_fast(
      [&] {
        expect_error("{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}", message, limits);
        expect_error("{% for a in range(99999) %}{% for b in range(99999) %}{{ b }}{% endfor %}{% endfor %}", message,
                     limits);
        expect_error("{% macro m() %}{% for a in range(99999) %}{{ a }}{% endfor %}{% endmacro %}"
                     "{% for a in range(99999) %}{{ m() }}{% endfor %}",
                     message, limits);
        expect_error("{% set ns = namespace(n=0) %}{% for a in range(99999) %}{% for b in range(99999) %}"
                     "{% set ns.n = ns.n + 1 %}{% endfor %}{% endfor %}",
                     message, limits);
      },
      2.0, "nested loops");
  // An ordinary template stays far below even this small budget.
  EXPECT_EQ(error_with("{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}", limits,
                       R"({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]})"),
            "");
}

TEST(TemplateLimits, WorkInsideBuiltinsCountsAsSteps) {
  // `in` over a long list, sorting and scanning strings do much work per step of the loop.
  Limits limits;
  limits.max_steps = 1000000;
  const std::string message = "render step budget exhausted: more than 1000000 evaluation steps (Limits::max_steps)";
  expect_fast(
      [&] {
        expect_error("{% set xs = range(99999)|list %}{% for a in range(99999) %}{% if -1 in xs %}{% endif %}{% endfor %}",
                     message, limits);
        expect_error("{% set xs = range(99999)|list %}{% for a in range(99999) %}{% set _ = xs|sort %}{% endfor %}",
                     message, limits);
        expect_error("{% set s = 'a' * 1000000 %}{% for a in range(99999) %}{% set _ = s.count('b') %}{% endfor %}",
                     message, limits);
        expect_error("{% set s = 'a' * 1000000 %}{% for a in range(99999) %}{% set _ = s|length %}{% endfor %}",
                     message, limits);
        expect_error("{% set xs = range(99999)|list %}{% for a in range(99999) %}{% set _ = xs == xs|list %}{% endfor %}",
                     message, limits);
      },
      2.0, "builtin work");
  // The same set-up and loop doing nothing per iteration stay within the budget.
  EXPECT_EQ(error_with("{% set xs = range(99999)|list %}{% set s = 'a' * 1000000 %}{% for a in range(99999) %}"
                       "{% endfor %}{{ xs|length }}{{ s|length }}",
                       limits),
            "");
}

TEST(TemplateLimits, DefaultStepBudgetTerminates) {
  // Each `in` scans 60 MB, charged one step per 16 bytes: the default budget (20M) ends the loop
  // after 5 scans, well within a second.
  expect_fast(
      [] {
        expect_error("{% set s = 'a' * 60000000 %}{% for a in range(99999) %}{% for b in range(99999) %}"
                     "{% if 'b' in s %}{% endif %}{% endfor %}{% endfor %}",
                     "render step budget exhausted: more than 20000000 evaluation steps (Limits::max_steps)");
      },
      5.0, "default step budget");
  Limits defaults;
  EXPECT_EQ(defaults.max_steps, 20000000u);
  EXPECT_EQ(defaults.max_nesting, 200u);
  EXPECT_EQ(defaults.max_call_depth, 200u);
  EXPECT_EQ(defaults.max_render_depth, 1000u);
  EXPECT_EQ(defaults.max_output_bytes, std::size_t{64} << 20);
  EXPECT_EQ(defaults.max_string_bytes, std::size_t{64} << 20);
  EXPECT_EQ(defaults.max_list_items, std::size_t{1} << 20);
  EXPECT_EQ(defaults.max_value_depth, 256u);
  EXPECT_EQ(Limits::kMaxRange, 100000);
}

TEST(TemplateLimits, LongNeedleSearchesAreLinear) {
  // std::string's search is O(len * needle) at worst: 10 MB of 'a' searched for 'a'*1000000 + 'b'
  // (10^13 comparisons); strip() looked each character up in a list of 20,000.
  expect_fast(
      [] {
        const std::string setup = "{% set s = 'a' * 10000000 %}{% set n = 'a' * 1000000 ~ 'b' %}";
        expect_render(setup + "{{ n in s }}|{{ s.rfind(n) }}|{{ s.count(n) }}|{{ s.split(n)|length }}", "{}",
                      "False|-1|0|1");
        std::string chars;
        for (char32_t c = 0x100; c < 0x100 + 20000; ++c) {  // 20,000 two- and three-byte characters, then 'a'
          if (c < 0x800) {
            chars += static_cast<char>(0xC0 | (c >> 6));
          } else {
            chars += static_cast<char>(0xE0 | (c >> 12));
            chars += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
          }
          chars += static_cast<char>(0x80 | (c & 0x3F));
        }
        chars += 'a';
        expect_render("{{ ('a' * 1000000).strip(chars)|length }}|{{ ('a' * 1000000 ~ 'b')|trim(chars) }}",
                      nlohmann::ordered_json({{"chars", chars}}).dump(), "0|b");
      },
      5.0, "long needles");
  // Long needles still find what is there, from either end, without overlaps.
  const std::string n = repeat("ab", 20);
  expect_render("{% set n = '" + n + "' %}{% set s = 'x' ~ n ~ n ~ 'y' ~ n %}"
                "{{ s.find(n) }}|{{ s.rfind(n) }}|{{ s.count(n) }}|{{ s.split(n) }}|{{ s.rsplit(n, 1) }}|{{ n in s }}"
                "|{{ s.replace(n, '-') }}|{{ s.index(n) }}|{{ s.rindex(n) }}",
                "{}", "1|82|3|['x', '', 'y', '']|['x" + n + n + "y', '']|True|x--y-|1|82");
  expect_render("{{ 'aaaaaaaaaaaaaaaaaaaaa'.rsplit('aaaaaaaaaaaaaaaaaaaa') }}|{{ 'aaaaaaaaaaaaaaaaaaaaa'.split('aaaaaaaaaaaaaaaaaaaa') }}",
                "{}", "['a', '']|['', 'a']");
}

TEST(TemplateLimits, LimitsAreKeptByTheTemplate) {
  Limits limits;
  limits.max_steps = 1234;
  Template tpl("{{ 1 }}", "t", limits);
  EXPECT_EQ(tpl.limits().max_steps, 1234u);
  Template moved = std::move(tpl);
  EXPECT_EQ(moved.limits().max_steps, 1234u);
  EXPECT_EQ(moved.render(nlohmann::ordered_json::object()).text, "1");
}

}  // namespace
