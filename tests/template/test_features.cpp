// Generated from cases rendered by Python jinja2 3.1.4 (ImmutableSandboxedEnvironment,
// trim_blocks, lstrip_blocks, loopcontrols, transformers tojson): expected strings are jinja2 output.
#include "template_test_util.hpp"

TEST(Lexer, PlainText) {
  expect_render(R"~~~(Hello world)~~~",
                R"~~~({})~~~",
                R"~~~(Hello world)~~~");
}

TEST(Lexer, TrailingNewlineRemoved) {
  expect_render(R"~~~(a
)~~~",
                R"~~~({})~~~",
                R"~~~(a)~~~");
}

TEST(Lexer, OnlyOneTrailingNewlineRemoved) {
  expect_render(R"~~~(a

)~~~",
                R"~~~({})~~~",
                R"~~~(a
)~~~");
}

TEST(Lexer, CrLfNormalized) {
  expect_render(R"~~~(a
bc)~~~",
                R"~~~({})~~~",
                R"~~~(a
b
c)~~~");
}

TEST(Lexer, TrimBlocks) {
  expect_render(R"~~~({% if true %}
yes
{% endif %}
end)~~~",
                R"~~~({})~~~",
                R"~~~(yes
end)~~~");
}

TEST(Lexer, LstripBlocks) {
  expect_render(R"~~~(  {% if true %}
  yes
  {% endif %}
end)~~~",
                R"~~~({})~~~",
                R"~~~(  yes
end)~~~");
}

TEST(Lexer, LstripNotForVariables) {
  expect_render(R"~~~(  {{ 'x' }}
  {% if true %}y{% endif %})~~~",
                R"~~~({})~~~",
                R"~~~(  x
y)~~~");
}

TEST(Lexer, LstripOnlyAtLineStart) {
  expect_render(R"~~~(a  {% if true %}b{% endif %})~~~",
                R"~~~({})~~~",
                R"~~~(a  b)~~~");
}

TEST(Lexer, LstripTabs) {
  expect_render(R"~~~(	 	{% if true %}b{% endif %})~~~",
                R"~~~({})~~~",
                R"~~~(b)~~~");
}

TEST(Lexer, MinusStripsBothSides) {
  expect_render(R"~~~(a  
 {%- if true -%} 
 b {{- 'c' -}} 
 d {%- endif %})~~~",
                R"~~~({})~~~",
                R"~~~(abcd)~~~");
}

TEST(Lexer, PlusDisablesLstrip) {
  expect_render(R"~~~(  {%+ if true %}x{% endif %})~~~",
                R"~~~({})~~~",
                R"~~~(  x)~~~");
}

TEST(Lexer, PlusOnEndDisablesTrim) {
  expect_render(R"~~~({% if true +%}
x{% endif %})~~~",
                R"~~~({})~~~",
                R"~~~(
x)~~~");
}

TEST(Lexer, CommentsRemoved) {
  expect_render(R"~~~(a{# comment #}b)~~~",
                R"~~~({})~~~",
                R"~~~(ab)~~~");
}

TEST(Lexer, CommentLineStripped) {
  expect_render(R"~~~(a
  {# comment #}
b)~~~",
                R"~~~({})~~~",
                R"~~~(a
b)~~~");
}

TEST(Lexer, CommentMinus) {
  expect_render(R"~~~(a  {#- c -#}  b)~~~",
                R"~~~({})~~~",
                R"~~~(ab)~~~");
}

TEST(Lexer, MultilineComment) {
  expect_render(R"~~~(a{# x
y
 #}
b)~~~",
                R"~~~({})~~~",
                R"~~~(ab)~~~");
}

TEST(Lexer, RawBlock) {
  expect_render(R"~~~({% raw %}{{ not evaluated }}{% if %}{% endraw %})~~~",
                R"~~~({})~~~",
                R"~~~({{ not evaluated }}{% if %})~~~");
}

TEST(Lexer, RawBlockWhitespace) {
  expect_render(R"~~~(x
  {% raw %}
  {{ a }}
  {% endraw %}
y)~~~",
                R"~~~({})~~~",
                R"~~~(x

  {{ a }}
y)~~~");
}

TEST(Lexer, VariableEndNoTrim) {
  expect_render(R"~~~({{ 'a' }}
b)~~~",
                R"~~~({})~~~",
                R"~~~(a
b)~~~");
}

TEST(Lexer, DictLiteralInsideVariable) {
  expect_render(R"~~~({{ {'a': {'b': 1}}}})~~~",
                R"~~~({})~~~",
                R"~~~({'a': {'b': 1}})~~~");
}

TEST(Lexer, BlockAtStartAfterVariable) {
  expect_render(R"~~~({{ 'x' }}
    {% if true %}y{% endif %})~~~",
                R"~~~({})~~~",
                R"~~~(x
y)~~~");
}

TEST(Lexer, StringEscapes) {
  expect_render(R"~~~({{ 'a\'b' }}|{{ "c\"d" }}|{{ 'tab\there' }}|{{ 'nl\n' }}|{{ '\u00e9\x41' }}|{{ 'back\\slash' }}|{{ 'keep\q' }})~~~",
                R"~~~({})~~~",
                R"~~~(a'b|c"d|tab	here|nl
|éA|back\slash|keep\q)~~~");
}

TEST(Lexer, AdjacentStringsConcatenate) {
  expect_render(R"~~~({{ 'a' 'b' "c" }})~~~",
                R"~~~({})~~~",
                R"~~~(abc)~~~");
}

TEST(Lexer, NumbersWithUnderscore) {
  expect_render(R"~~~({{ 1_000 + 2 }} {{ 1e3 }} {{ 2.5E-1 }})~~~",
                R"~~~({})~~~",
                R"~~~(1002 1000.0 0.25)~~~");
}

TEST(Lexer, UnicodeData) {
  expect_render(R"~~~(héllo {{ 'wörld' }} 日本)~~~",
                R"~~~({})~~~",
                R"~~~(héllo wörld 日本)~~~");
}

TEST(If, ElifElse) {
  expect_render(R"~~~({% for x in [1,2,3] %}{% if x == 1 %}one{% elif x == 2 %}two{% else %}many{% endif %},{% endfor %})~~~",
                R"~~~({})~~~",
                R"~~~(one,two,many,)~~~");
}

TEST(If, Truthiness) {
  expect_render(R"~~~({% for v in [0, 1, '', 'a', [], [0], {}, none, 0.0] %}{{ 'T' if v else 'F' }}{% endfor %})~~~",
                R"~~~({})~~~",
                R"~~~(FTFTFTFFF)~~~");
}

TEST(For, LoopVariables) {
  expect_render(R"~~~({% for x in ['a','b','c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}{{ loop.revindex0 }};{% endfor %})~~~",
                R"~~~({})~~~",
                R"~~~(10TrueFalse332;21FalseFalse321;32FalseTrue310;)~~~");
}

TEST(For, PrevNextItem) {
  expect_render(R"~~~({% for x in [1,2,3] %}[{{ loop.previtem }}|{{ loop.nextitem }}]{% endfor %})~~~",
                R"~~~({})~~~",
                R"~~~([|2][1|3][2|])~~~");
}

TEST(For, Else) {
  expect_render(R"~~~({% for x in [] %}x{% else %}empty{% endfor %}|{% for x in [1] %}x{% else %}empty{% endfor %})~~~",
                R"~~~({})~~~",
                R"~~~(empty|x)~~~");
}

TEST(For, TupleUnpacking) {
  expect_render(R"~~~({% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %})~~~",
                R"~~~({"d": {"b": 1, "a": 2}})~~~",
                R"~~~(b=1;a=2;)~~~");
}

TEST(For, InlineFilter) {
  expect_render(R"~~~({% for x in xs if x is odd %}{{ x }}{{ loop.index }}/{{ loop.length }} {% endfor %})~~~",
                R"~~~({"xs": [1, 2, 3, 4, 5]})~~~",
                R"~~~(11/3 32/3 53/3 )~~~");
}

TEST(For, BreakContinue) {
  expect_render(R"~~~({% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %})~~~",
                R"~~~({})~~~",
                R"~~~(0134)~~~");
}

TEST(For, NestedLoops) {
  expect_render(R"~~~({% for a in [1,2] %}{% for b in 'xy' %}{{ loop.index }}{{ a }}{{ b }} {% endfor %}{{ loop.index }}|{% endfor %})~~~",
                R"~~~({})~~~",
                R"~~~(11x 21y 1|12x 22y 2|)~~~");
}

TEST(For, OverDictAndString) {
  expect_render(R"~~~({% for k in {'x': 1, 'y': 2} %}{{ k }}{% endfor %}{% for c in 'héj' %}[{{ c }}]{% endfor %})~~~",
                R"~~~({})~~~",
                R"~~~(xy[h][é][j])~~~");
}

TEST(For, OverUndefinedIsEmpty) {
  expect_render(R"~~~({% for x in nothing %}x{% else %}none{% endfor %})~~~",
                R"~~~({})~~~",
                R"~~~(none)~~~");
}

TEST(For, ScopeDoesNotLeak) {
  expect_render(R"~~~({% set x = 1 %}{% for i in [1,2] %}{{ x }}{% set x = i + 10 %}{{ x }} {% endfor %}{{ x }})~~~",
                R"~~~({})~~~",
                R"~~~(111 112 1)~~~");
}

TEST(For, LoopCycle) {
  expect_render(R"~~~({% for i in range(5) %}{{ loop.cycle('a','b') }}{% endfor %})~~~",
                R"~~~({})~~~",
                R"~~~(ababa)~~~");
}

TEST(For, Reversed) {
  expect_render(R"~~~({% for m in messages[::-1] %}{{ m.role }} {% endfor %})~~~",
                R"~~~({"messages": [{"role": "system", "content": "Sys"}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]})~~~",
                R"~~~(assistant user system )~~~");
}

TEST(Set, Simple) {
  expect_render(R"~~~({% set x = 'a' ~ 1 %}{{ x }})~~~",
                R"~~~({})~~~",
                R"~~~(a1)~~~");
}

TEST(Set, IfDoesNotScope) {
  expect_render(R"~~~({% if true %}{% set x = 5 %}{% endif %}{{ x }})~~~",
                R"~~~({})~~~",
                R"~~~(5)~~~");
}

TEST(Set, TupleAssign) {
  expect_render(R"~~~({% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t = 1, 2 %}{{ t }})~~~",
                R"~~~({})~~~",
                R"~~~(12(1, 2))~~~");
}

TEST(Set, Namespace) {
  expect_render(R"~~~({% set ns = namespace(found=false, n=0) %}{% for x in [1,2,3] %}{% set ns.n = ns.n + x %}{% if x == 2 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }} {{ ns.n }})~~~",
                R"~~~({})~~~",
                R"~~~(True 6)~~~");
}

TEST(Set, BlockSet) {
  expect_render(R"~~~({% set x %}
  a {{ 1 + 1 }}
{% endset %}[{{ x }}])~~~",
                R"~~~({})~~~",
                R"~~~([  a 2
])~~~");
}

TEST(Set, BlockSetWithFilter) {
  expect_render(R"~~~({% set x | upper %}abc{% endset %}{{ x }})~~~",
                R"~~~({})~~~",
                R"~~~(ABC)~~~");
}

TEST(Set, NamespaceBlockSet) {
  expect_render(R"~~~({% set ns = namespace(v='') %}{% set ns.v %}hi{% endset %}{{ ns.v }})~~~",
                R"~~~({})~~~",
                R"~~~(hi)~~~");
}

TEST(Macro, DefaultsAndKeywords) {
  expect_render(R"~~~({% macro m(a, b=2, c='x') %}[{{ a }}{{ b }}{{ c }}]{% endmacro %}{{ m(1) }}{{ m(1, 3) }}{{ m(1, c='y') }}{{ m() }})~~~",
                R"~~~({})~~~",
                R"~~~([12x][13x][12y][2x])~~~");
}

TEST(Macro, SeesOuterVariables) {
  expect_render(R"~~~({% macro m() %}{{ v }}{% endmacro %}{% set v = 'late' %}{{ m() }})~~~",
                R"~~~({})~~~",
                R"~~~(late)~~~");
}

TEST(Macro, Recursion) {
  expect_render(R"~~~({% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(3) }})~~~",
                R"~~~({})~~~",
                R"~~~(321)~~~");
}

TEST(Macro, CallBlock) {
  expect_render(R"~~~({% macro wrap() %}<{{ caller() }}>{% endmacro %}{% call wrap() %}inner{% endcall %})~~~",
                R"~~~({})~~~",
                R"~~~(<inner>)~~~");
}

TEST(Filter, FilterBlock) {
  expect_render(R"~~~({% filter upper %}abc {{ 'd' }}{% endfilter %}|{% filter replace('a', 'b') | upper %}aaa{% endfilter %})~~~",
                R"~~~({})~~~",
                R"~~~(ABC D|BBB)~~~");
}

TEST(With, WithBlock) {
  expect_render(R"~~~({% with a = 1, b = 2 %}{{ a + b }}{% endwith %}{{ a }})~~~",
                R"~~~({})~~~",
                R"~~~(3)~~~");
}

TEST(Expr, Literals) {
  expect_render(R"~~~({{ [1, 'a', none, true, False, 1.5, {'k': (1, 2)}, (3,)] }})~~~",
                R"~~~({})~~~",
                R"~~~([1, 'a', None, True, False, 1.5, {'k': (1, 2)}, (3,)])~~~");
}

TEST(Expr, Arithmetic) {
  expect_render(R"~~~({{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 7 / 2 }} {{ 4 / 2 }} {{ 1 + 2 * 3 - 4 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ 2**3**2 }})~~~",
                R"~~~({})~~~",
                R"~~~(3 -4 2 -2 1024 0.5 3.5 2.0 3 3.0 0.5 64)~~~");
}

TEST(Expr, FloatPrinting) {
  expect_render(R"~~~({{ 1.0 }} {{ 0.1 + 0.2 }} {{ 1e-5 }} {{ 1e16 }} {{ 1e15 }} {{ 123456789.123 }} {{ 0.0001 }} {{ -0.5 }} {{ 3.0 * 2 }} {{ 1/3 }})~~~",
                R"~~~({})~~~",
                R"~~~(1.0 0.30000000000000004 1e-05 1e+16 1000000000000000.0 123456789.123 0.0001 -0.5 6.0 0.3333333333333333)~~~");
}

TEST(Expr, StringRepr) {
  expect_render(R"~~~({{ ['a', "it's", 'say "x"', 'both \' "', 'tab\t', 'é', '\x01'] }})~~~",
                R"~~~({})~~~",
                R"~~~(['a', "it's", 'say "x"', 'both \' "', 'tab\t', 'é', '\x01'])~~~");
}

TEST(Expr, DictRepr) {
  expect_render(R"~~~({{ {'a': 1, 'b': [true, none], 'c': {'d': 'e'}} }}|{{ d }})~~~",
                R"~~~({"d": {"x": [1, 2.5, "s"], "y": null}})~~~",
                R"~~~({'a': 1, 'b': [True, None], 'c': {'d': 'e'}}|{'x': [1, 2.5, 's'], 'y': None})~~~");
}

TEST(Expr, Concat) {
  expect_render(R"~~~({{ 'a' ~ 1 ~ none ~ true ~ [1] ~ undefined_var }})~~~",
                R"~~~({})~~~",
                R"~~~(a1NoneTrue[1])~~~");
}

TEST(Expr, StringPlus) {
  expect_render(R"~~~({{ 'a' + 'b' }}{{ [1] + [2] }}{{ 'ab' * 2 }})~~~",
                R"~~~({})~~~",
                R"~~~(ab[1, 2]abab)~~~");
}

TEST(Expr, Comparisons) {
  expect_render(R"~~~({{ 1 == 1.0 }}{{ 'a' != 'b' }}{{ 1 < 2 <= 2 }}{{ 3 > 2 > 2 }}{{ 'a' < 'b' }}{{ [1,2] == [1,2] }}{{ true == 1 }}{{ none == none }})~~~",
                R"~~~({})~~~",
                R"~~~(TrueTrueTrueFalseTrueTrueTrueTrue)~~~");
}

TEST(Expr, InNotIn) {
  expect_render(R"~~~({{ 'a' in 'cat' }}{{ 2 in [1,2] }}{{ 'k' in {'k': 1} }}{{ 'z' not in 'cat' }}{{ 3 not in [1] }})~~~",
                R"~~~({})~~~",
                R"~~~(TrueTrueTrueTrueTrue)~~~");
}

TEST(Expr, AndOrNot) {
  expect_render(R"~~~({{ true and 'x' }}|{{ 0 or 'y' }}|{{ '' and 'z' }}|{{ not 0 }}|{{ not 'a' }}|{{ none or [] }})~~~",
                R"~~~({})~~~",
                R"~~~(x|y||True|False|[])~~~");
}

TEST(Expr, CondExpr) {
  expect_render(R"~~~({{ 'a' if true else 'b' }}{{ 'a' if false else 'b' }}[{{ 'a' if false }}])~~~",
                R"~~~({})~~~",
                R"~~~(ab[])~~~");
}

TEST(Expr, AttributeAndSubscript) {
  expect_render(R"~~~({{ m.role }}{{ m['content'] }}{{ ms[0].role }}{{ ms[-1]['role'] }}{{ ms[5] }}{{ m.missing }})~~~",
                R"~~~({"m": {"role": "user", "content": "c"}, "ms": [{"role": "system", "content": "Sys"}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]})~~~",
                R"~~~(usercsystemassistant)~~~");
}

TEST(Expr, Slicing) {
  expect_render(R"~~~({{ xs[1:] }}{{ xs[:2] }}{{ xs[::-1] }}{{ xs[-2:] }}{{ xs[::2] }}{{ 'héllo'[1:3] }}{{ 'abc'[::-1] }}{{ xs[10:] }})~~~",
                R"~~~({"xs": [1, 2, 3, 4]})~~~",
                R"~~~([2, 3, 4][1, 2][4, 3, 2, 1][3, 4][1, 3]élcba[])~~~");
}

TEST(Expr, StringIndex) {
  expect_render(R"~~~({{ 'héllo'[1] }}{{ 'abc'[-1] }}{{ 'abc'|length }}{{ 'héllo'|length }})~~~",
                R"~~~({})~~~",
                R"~~~(éc35)~~~");
}

TEST(Expr, Unary) {
  expect_render(R"~~~({{ -1 }}{{ -(2 + 3) }}{{ +4 }}{{ -x|abs }}{{ - 1.5 }})~~~",
                R"~~~({"x": 3})~~~",
                R"~~~(-1-543-1.5)~~~");
}

TEST(Expr, DotNumberSubscript) {
  expect_render(R"~~~({{ xs.0 }}{{ xs.1 }})~~~",
                R"~~~({"xs": ["a", "b"]})~~~",
                R"~~~(ab)~~~");
}

TEST(Expr, DictMethodPreferredOverKey) {
  expect_render(R"~~~({{ d['items'] }}|{{ d.get('a') }}|{{ d.get('zz', 'dflt') }}|{{ d.get('zz') }}|{{ d.keys()|list }}|{{ d.values()|list }})~~~",
                R"~~~({"d": {"a": 1, "items": "key"}})~~~",
                R"~~~(key|1|dflt|None|['a', 'items']|[1, 'key'])~~~");
}

TEST(Expr, TopLevelTuple) {
  expect_render(R"~~~({{ 1, 2 }})~~~",
                R"~~~({})~~~",
                R"~~~((1, 2))~~~");
}

TEST(Expr, ListPopAllowed) {
  expect_render(R"~~~({% set xs = [1, 2, 3] %}{{ xs.pop() }}{{ xs }}{{ xs.pop(0) }}{{ xs }})~~~",
                R"~~~({})~~~",
                R"~~~(3[1, 2]1[2])~~~");
}

TEST(Undefined, PrintsEmpty) {
  expect_render(R"~~~([{{ nothing }}])~~~",
                R"~~~({})~~~",
                R"~~~([])~~~");
}

TEST(Undefined, Tests) {
  expect_render(R"~~~({{ nothing is defined }}{{ nothing is undefined }}{{ m.x is defined }}{{ m.role is defined }}{{ nothing is none }}{{ nothing is iterable }}{{ nothing is sequence }})~~~",
                R"~~~({"m": {"role": "u"}})~~~",
                R"~~~(FalseTrueFalseTrueFalseTrueTrue)~~~");
}

TEST(Undefined, BooleanAndLength) {
  expect_render(R"~~~({{ 'T' if nothing else 'F' }}{{ nothing|length }}{{ not nothing }}{{ nothing == nothing }}{{ nothing == none }})~~~",
                R"~~~({})~~~",
                R"~~~(F0TrueTrueFalse)~~~");
}

TEST(Undefined, Filters) {
  expect_render(R"~~~([{{ nothing|default('d') }}][{{ nothing|upper }}][{{ nothing|trim }}][{{ nothing|list }}][{{ nothing|join(',') }}][{{ none|default('x') }}][{{ ''|default('y', true) }}][{{ nothing|d('z') }}])~~~",
                R"~~~({})~~~",
                R"~~~([d][][][[]][][None][y][z])~~~");
}

TEST(Undefined, InAndMissingKey) {
  expect_render(R"~~~({{ 'a' in nothing }}{{ d.x }}{{ d['y'] }})~~~",
                R"~~~({"d": {}})~~~",
                R"~~~(False)~~~");
}

TEST(StrMethods, Strip) {
  expect_render(R"~~~([{{ '  a b 
'.strip() }}][{{ 'xxaxx'.strip('x') }}][{{ '

a'.lstrip('
') }}][{{ 'a  '.rstrip() }}][{{ '  a'.lstrip() }}][{{ 'abcba'.rstrip('ab') }}])~~~",
                R"~~~({})~~~",
                R"~~~([a b][a][a][a][a][abc])~~~");
}

TEST(StrMethods, StartsEndsWith) {
  expect_render(R"~~~({{ 'hello'.startswith('he') }}{{ 'hello'.endswith('lo') }}{{ 'hello'.startswith(('x', 'h')) }}{{ 'hello'.endswith(('x', 'y')) }})~~~",
                R"~~~({})~~~",
                R"~~~(TrueTrueTrueFalse)~~~");
}

TEST(StrMethods, Split) {
  expect_render(R"~~~({{ 'a,b,,c'.split(',') }}{{ '  a  b c '.split() }}{{ 'a,b,c'.split(',', 1) }}{{ 'a b c'.split(none, 1) }}{{ 'a,b,c'.rsplit(',', 1) }}{{ 'x</think>y'.split('</think>')[-1] }})~~~",
                R"~~~({})~~~",
                R"~~~(['a', 'b', '', 'c']['a', 'b', 'c']['a', 'b,c']['a', 'b c']['a,b', 'c']y)~~~");
}

TEST(StrMethods, ReplaceCase) {
  expect_render(R"~~~({{ 'aaa'.replace('a', 'b') }}{{ 'aaa'.replace('a', 'b', 2) }}{{ 'hello world'.title() }}{{ 'hELLO'.capitalize() }}{{ 'Ab'.upper() }}{{ 'Ab'.lower() }}{{ 'straße'.upper() }})~~~",
                R"~~~({})~~~",
                R"~~~(bbbbbaHello WorldHelloABabSTRASSE)~~~");
}

TEST(StrMethods, FindCountJoin) {
  expect_render(R"~~~({{ 'hello'.find('l') }}{{ 'hello'.find('z') }}{{ 'hello'.rfind('l') }}{{ 'hello'.count('l') }}{{ '-'.join(['a', 'b']) }}{{ '12'.isdigit() }}{{ 'a1'.isdigit() }}{{ 'héllo'.find('l') }})~~~",
                R"~~~({})~~~",
                R"~~~(2-132a-bTrueFalse2)~~~");
}

TEST(StrMethods, Splitlines) {
  expect_render(R"~~~({{ 'a
b
c'.splitlines() }})~~~",
                R"~~~({})~~~",
                R"~~~(['a', 'b', 'c'])~~~");
}

TEST(Filters, TrimLengthFirstLast) {
  expect_render(R"~~~([{{ '  x  '|trim }}][{{ 'xxaxx'|trim('x') }}]{{ [1,2,3]|length }}{{ [1,2,3]|count }}{{ [1,2,3]|first }}{{ [1,2,3]|last }}{{ 'abc'|first }}{{ 'abc'|last }}[{{ []|first }}])~~~",
                R"~~~({})~~~",
                R"~~~([x][a]3313ac[])~~~");
}

TEST(Filters, Items) {
  expect_render(R"~~~({% for k, v in d|items %}{{ k }}:{{ v }} {% endfor %})~~~",
                R"~~~({"d": {"z": 1, "a": 2}})~~~",
                R"~~~(z:1 a:2 )~~~");
}

TEST(Filters, SelectAttr) {
  expect_render(R"~~~({{ ms|selectattr('role', 'equalto', 'user')|map(attribute='content')|list }}{{ ms|rejectattr('role', 'eq', 'user')|map(attribute='role')|join(',') }}{{ ms|selectattr('tool_calls')|list|length }}{{ ms|selectattr('role', 'in', ['system', 'user'])|list|length }})~~~",
                R"~~~({"ms": [{"role": "system", "content": "Sys"}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}, {"role": "assistant", "content": null, "tool_calls": [{"a": 1}]}]})~~~",
                R"~~~(['Hi']system,assistant,assistant12)~~~");
}

TEST(Filters, SelectReject) {
  expect_render(R"~~~({{ [1,2,3,4]|select('odd')|list }}{{ [1,2,3,4]|reject('odd')|list }}{{ [0,1,'',none,'a']|select|list }}{{ [1,2,3,4,5,6]|select('divisibleby', 3)|list }}{{ [1,5,9]|select('gt', 4)|list }})~~~",
                R"~~~({})~~~",
                R"~~~([1, 3][2, 4][1, 'a'][3, 6][5, 9])~~~");
}

TEST(Filters, Map) {
  expect_render(R"~~~({{ ['a','b']|map('upper')|list }}{{ ms|map(attribute='role')|join(', ') }}{{ [[1,2],[3]]|map('length')|list }}{{ ms|map(attribute='nope', default='D')|list }}{{ ['x', 'y']|map('replace', 'x', 'z')|list }})~~~",
                R"~~~({"ms": [{"role": "system", "content": "Sys"}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]})~~~",
                R"~~~(['A', 'B']system, user, assistant[2, 1]['D', 'D', 'D']['z', 'y'])~~~");
}

TEST(Filters, Join) {
  expect_render(R"~~~({{ [1,2,3]|join }}{{ [1,2,3]|join(', ') }}{{ ms|join('/', attribute='role') }})~~~",
                R"~~~({"ms": [{"role": "system", "content": "Sys"}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]})~~~",
                R"~~~(1231, 2, 3system/user/assistant)~~~");
}

TEST(Filters, Default) {
  expect_render(R"~~~({{ x|default('d') }}{{ none|default('d') }}{{ ''|default('d') }}{{ ''|default('d', true) }}{{ false|d('d', boolean=true) }})~~~",
                R"~~~({})~~~",
                R"~~~(dNonedd)~~~");
}

TEST(Filters, CaseFilters) {
  expect_render(R"~~~({{ 'hello World'|upper }}{{ 'HeLLo'|lower }}{{ 'hello WORLD'|capitalize }}{{ 'hello-world foo(bar'|title }})~~~",
                R"~~~({})~~~",
                R"~~~(HELLO WORLDhelloHello worldHello-World Foo(Bar)~~~");
}

TEST(Filters, Replace) {
  expect_render(R"~~~({{ 'aaa'|replace('a', 'b') }}{{ 'aaa'|replace('a', 'b', 1) }}{{ 'abc'|replace('', '-') }})~~~",
                R"~~~({})~~~",
                R"~~~(bbbbaa-a-b-c-)~~~");
}

TEST(Filters, Conversions) {
  expect_render(R"~~~({{ 3|string }}{{ '42'|int + 1 }}{{ '4.7'|int }}{{ 'x'|int }}{{ 'x'|int(7) }}{{ 3.9|int }}{{ '2.5'|float }}{{ 'x'|float }}{{ 3|float }}{{ true|int }}{{ 'abc'|list }}{{ {'a':1}|list }}{{ none|string }})~~~",
                R"~~~({})~~~",
                R"~~~(34340732.50.03.01['a', 'b', 'c']['a']None)~~~");
}

TEST(Filters, ReverseSort) {
  expect_render(R"~~~({{ [3,1,2]|reverse|list }}{{ 'abc'|reverse }}{{ [3,1,2]|sort }}{{ [3,1,2]|sort(reverse=true) }}{{ ['b','A','c']|sort }}{{ ['b','A','c']|sort(case_sensitive=true) }}{{ ms|sort(attribute='role')|map(attribute='role')|list }})~~~",
                R"~~~({"ms": [{"role": "system", "content": "Sys"}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]})~~~",
                R"~~~([2, 1, 3]cba[1, 2, 3][3, 2, 1]['A', 'b', 'c']['A', 'b', 'c']['assistant', 'system', 'user'])~~~");
}

TEST(Filters, UniqueMinMaxSum) {
  expect_render(R"~~~({{ [1,2,1,3,2]|unique|list }}{{ ['a','A','b']|unique|list }}{{ [3,1,2]|min }}{{ [3,1,2]|max }}{{ ['b','A','c']|max }}{{ [1,2,3]|sum }}{{ [{'v': 1}, {'v': 2}]|sum(attribute='v') }}{{ [1.5, 2]|sum(start=10) }}[{{ []|max }}])~~~",
                R"~~~({})~~~",
                R"~~~([1, 2, 3]['a', 'b']13c6313.5[])~~~");
}

TEST(Filters, AbsRound) {
  expect_render(R"~~~({{ -3|abs }}{{ (-2.5)|abs }}{{ 2.5|round }}{{ 3.5|round }}{{ 2.675|round(2) }}{{ 2.1|round(0, 'ceil') }}{{ 2.9|round(method='floor') }}{{ 7|round }}{{ 1234.5|round(-2) }})~~~",
                R"~~~({})~~~",
                R"~~~(32.52.04.02.673.02.071200.0)~~~");
}

TEST(Filters, SafeEscape) {
  expect_render(R"~~~({{ '<a href="x">&\'</a>'|e }}|{{ '<b>'|escape }}|{{ '<i>'|safe }})~~~",
                R"~~~({})~~~",
                R"~~~(&lt;a href=&#34;x&#34;&gt;&amp;&#39;&lt;/a&gt;|&lt;b&gt;|<i>)~~~");
}

TEST(Filters, Indent) {
  expect_render(R"~~~({{ 'a
b

c'|indent }}|{{ 'a
b'|indent(2, true) }}|{{ 'a

b'|indent(width='> ', blank=true) }}|{{ 'x
'|indent }})~~~",
                R"~~~({})~~~",
                R"~~~(a
    b

    c|  a
  b|a
> 
> b|x
)~~~");
}

TEST(Filters, Dictsort) {
  expect_render(R"~~~({{ d|dictsort }}{{ d|dictsort(by='value') }}{{ d|dictsort(reverse=true) }})~~~",
                R"~~~({"d": {"b": 1, "A": 3, "c": 2}})~~~",
                R"~~~([('A', 3), ('b', 1), ('c', 2)][('b', 1), ('c', 2), ('A', 3)][('c', 2), ('b', 1), ('A', 3)])~~~");
}

TEST(Filters, Wordcount) {
  expect_render(R"~~~({{ 'hello big_world, 42 times'|wordcount }})~~~",
                R"~~~({})~~~",
                R"~~~(4)~~~");
}

TEST(Filters, Generators) {
  expect_render(R"~~~({{ 'T' if ([]|select) else 'F' }}{{ [1,2]|map('string')|join('+') }}{{ [1]|reverse|first }})~~~",
                R"~~~({})~~~",
                R"~~~(T1+21)~~~");
}

TEST(ToJson, Basic) {
  expect_render(R"~~~({{ d|tojson }})~~~",
                R"~~~({"d": {"name": "f", "n": 1, "x": 1.5, "b": true, "z": null, "l": [1, "two", {"k": []}], "e": {}}})~~~",
                R"~~~({"name": "f", "n": 1, "x": 1.5, "b": true, "z": null, "l": [1, "two", {"k": []}], "e": {}})~~~");
}

TEST(ToJson, NonAsciiAndEscapes) {
  expect_render(R"~~~({{ s|tojson }})~~~",
                R"~~~({"s": "héllo \"q\" \\ \n\t \u0001 日本 😀 </script>"})~~~",
                R"~~~("héllo \"q\" \\ \n\t \u0001 日本 😀 </script>")~~~");
}

TEST(ToJson, Indent) {
  expect_render(R"~~~({{ d|tojson(indent=2) }}|{{ d|tojson(indent=0) }}|{{ [1, [2, []], {}]|tojson(indent=4) }})~~~",
                R"~~~({"d": {"a": [1, 2], "b": {"c": "d"}}})~~~",
                R"~~~({
  "a": [
    1,
    2
  ],
  "b": {
    "c": "d"
  }
}|{
"a": [
1,
2
],
"b": {
"c": "d"
}
}|[
    1,
    [
        2,
        []
    ],
    {}
])~~~");
}

TEST(ToJson, Options) {
  expect_render(R"~~~({{ d|tojson(sort_keys=true) }}|{{ d|tojson(ensure_ascii=true) }}|{{ d|tojson(separators=(',', ':')) }})~~~",
                R"~~~({"d": {"b": "é", "a": [1, 2]}})~~~",
                R"~~~({"a": [1, 2], "b": "é"}|{"b": "\u00e9", "a": [1, 2]}|{"b":"é","a":[1,2]})~~~");
}

TEST(ToJson, ScalarsAndKeys) {
  expect_render(R"~~~({{ 1|tojson }}{{ 'x'|tojson }}{{ none|tojson }}{{ 1.0|tojson }}{{ {1: 'a', true: 'b', none: 'c'}|tojson }}{{ (1, 2)|tojson }})~~~",
                R"~~~({})~~~",
                R"~~~(1"x"null1.0{"1": "b", "null": "c"}[1, 2])~~~");
}

TEST(Tests, Types) {
  expect_render(R"~~~({% for v in [1, 1.5, 'a', [1], {'a': 1}, none, true] %}{{ v is number }}{{ v is integer }}{{ v is float }}{{ v is string }}{{ v is mapping }}{{ v is iterable }}{{ v is sequence }}{{ v is none }}{{ v is boolean }};{% endfor %})~~~",
                R"~~~({})~~~",
                R"~~~(TrueTrueFalseFalseFalseFalseFalseFalseFalse;TrueFalseTrueFalseFalseFalseFalseFalseFalse;FalseFalseFalseTrueFalseTrueTrueFalseFalse;FalseFalseFalseFalseFalseTrueTrueFalseFalse;FalseFalseFalseFalseTrueTrueTrueFalseFalse;FalseFalseFalseFalseFalseFalseFalseTrueFalse;TrueFalseFalseFalseFalseFalseFalseFalseTrue;)~~~");
}

TEST(Tests, Values) {
  expect_render(R"~~~({{ true is true }}{{ 1 is true }}{{ false is false }}{{ 2 is even }}{{ 3 is odd }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(2) }}{{ 'a' is equalto 'a' }}{{ 1 is eq 1 }}{{ 'abc' is lower }}{{ 'ABC' is upper }}{{ 'aB' is lower }}{{ 2 is in [1, 2] }}{{ 1 is not none }}{{ none is sameas none }}{{ 3 is ne 4 }}{{ 3 is gt 2 }}{{ 3 is le 2 }})~~~",
                R"~~~({})~~~",
                R"~~~(TrueFalseTrueTrueTrueTrueFalseTrueTrueTrueTrueFalseTrueTrueTrueTrueTrueFalse)~~~");
}

TEST(Globals, RangeDictNamespace) {
  expect_render(R"~~~({{ range(3)|list }}{{ range(1, 7, 2)|list }}{{ range(3, 0, -1)|list }}{{ dict(a=1, b='x') }}{% set ns = namespace(a=1) %}{{ ns.a }}{{ ns.b }})~~~",
                R"~~~({})~~~",
                R"~~~([0, 1, 2][1, 3, 5][3, 2, 1]{'a': 1, 'b': 'x'}1)~~~");
}

TEST(Globals, Generation) {
  expect_render(R"~~~({% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% else %}{{ m.content }}{% endif %}
{% endfor %})~~~",
                R"~~~({"messages": [{"role": "system", "content": "Sys"}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]})~~~",
                R"~~~(SysHiHello!)~~~");
}

TEST(Expr, Precedence) {
  expect_render(R"~~~({{ not x is defined }}{{ -1|abs }}{{ 'a' ~ 2 * 3 }}{{ [1,2]|length > 1 }}{{ 2 * 3 ** 2 }}{{ 1 if 0 else 2 if 0 else 3 }}{{ not 1 == 2 }})~~~",
                R"~~~({})~~~",
                R"~~~(True1a6True183True)~~~");
}

TEST(Expr, EmptyAndTrailingCommas) {
  expect_render(R"~~~({{ () }}{{ [] }}{{ {} }}{{ (1) }}{{ [1, 2,] }}{{ {'a': 1,} }}{{ (1,) }})~~~",
                R"~~~({})~~~",
                R"~~~(()[]{}1[1, 2]{'a': 1}(1,))~~~");
}

TEST(Expr, JsonValuesPrintLikePython) {
  expect_render(R"~~~({{ v }}|{{ v.f }}|{{ v.big }}|{{ v.t }}|{{ v.n }}|{{ v.s }})~~~",
                R"~~~({"v": {"f": 0.1, "big": 12345678901234, "t": true, "n": null, "s": "zw​sp", "e": 1e-07, "neg": -2.0}})~~~",
                R"~~~({'f': 0.1, 'big': 12345678901234, 't': True, 'n': None, 's': 'zw\u200bsp', 'e': 1e-07, 'neg': -2.0}|0.1|12345678901234|True|None|zw​sp)~~~");
}

TEST(Expr, NoneChecks) {
  expect_render(R"~~~({{ x is none }}{{ x is not none }}{{ y is none }}{{ x == none }})~~~",
                R"~~~({"x": null})~~~",
                R"~~~(TrueFalseFalseTrue)~~~");
}

TEST(Expr, MixedNumbers) {
  expect_render(R"~~~({{ 1 == 1.0 }}{{ 1 + 1.0 }}{{ true + 1 }}{{ 3 * 'ab' }}{{ 10 / 4 }}{{ 2 ** 0.5 }}{{ 1e300 * 10 }})~~~",
                R"~~~({})~~~",
                R"~~~(True2.02ababab2.51.41421356237309511e+301)~~~");
}

TEST(Lexer, WhitespaceControlCombos) {
  expect_render(R"~~~(<
  {%- for x in [1, 2] %}
    {{ x }}
  {%- endfor %}
>
  {#- c #}
  {{- 'z' }})~~~",
                R"~~~({})~~~",
                R"~~~(<    1    2>z)~~~");
}

TEST(Lexer, GenerationTagWhitespace) {
  expect_render(R"~~~(a
  {%- generation -%}
  b
  {%- endgeneration %}
c)~~~",
                R"~~~({})~~~",
                R"~~~(abc)~~~");
}

TEST(Lexer, LstripWithUnicodeSpace) {
  expect_render(R"~~~(x
  {% if true %}y{% endif %})~~~",
                R"~~~({})~~~",
                R"~~~(x
y)~~~");
}

TEST(For, UnpackTuples) {
  expect_render(R"~~~({% for a, b in [(1, 2), [3, 4]] %}{{ a }}{{ b }}{% endfor %}{% for (a, b) in [(5, 6)] %}{{ a + b }}{% endfor %})~~~",
                R"~~~({})~~~",
                R"~~~(123411)~~~");
}

TEST(For, LoopInsideMacro) {
  expect_render(R"~~~({% macro m(xs) %}{% for x in xs %}{{ loop.index }}{{ x }}{% endfor %}{% endmacro %}{{ m('ab') }}{{ m([1]) }})~~~",
                R"~~~({})~~~",
                R"~~~(1a2b11)~~~");
}

TEST(For, FilteredLoopLength) {
  expect_render(R"~~~({% for m in messages if m.role != 'system' %}{{ loop.index }}/{{ loop.length }}{{ loop.last }} {% endfor %})~~~",
                R"~~~({"messages": [{"role": "system", "content": "Sys"}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]})~~~",
                R"~~~(1/2False 2/2True )~~~");
}

TEST(Set, NamespaceInLoopWithMacro) {
  expect_render(R"~~~({% set ns = namespace(items=[]) %}{% for x in [1, 2] %}{% set ns.items = ns.items + [x * 2] %}{% endfor %}{{ ns.items }}{{ ns.items|length }})~~~",
                R"~~~({})~~~",
                R"~~~([2, 4]2)~~~");
}

TEST(Filters, TrimOnNonString) {
  expect_render(R"~~~({{ 5|trim }}{{ none|trim }}{{ [1]|trim }})~~~",
                R"~~~({})~~~",
                R"~~~(5None[1])~~~");
}

TEST(Filters, IntConversions) {
  expect_render(R"~~~({{ '1e3'|int }}{{ ' 12 '|int }}{{ '0x1A'|int(base=16) }}{{ '-3'|int }}{{ none|int }}{{ 'nan'|float }}{{ '  2.50 '|float }})~~~",
                R"~~~({})~~~",
                R"~~~(10001226-30nan2.5)~~~");
}

TEST(Filters, SumMinMaxMixed) {
  expect_render(R"~~~({{ [1, 2.5]|sum }}{{ ['b', 'a']|min }}{{ [{'n': 3}, {'n': 1}]|min(attribute='n') }}{{ [{'n': 3}, {'n': 1}]|max(attribute='n') }})~~~",
                R"~~~({})~~~",
                R"~~~(3.5a{'n': 1}{'n': 3})~~~");
}

TEST(Filters, LengthOfDictAndString) {
  expect_render(R"~~~({{ {'a': 1, 'b': 2}|length }}{{ 'naïve'|length }}{{ 'naïve'|count }})~~~",
                R"~~~({})~~~",
                R"~~~(255)~~~");
}

TEST(Filters, FirstLastOnDictAndMap) {
  expect_render(R"~~~({{ {'x': 1, 'y': 2}|first }}{{ {'x': 1, 'y': 2}|last }}{{ ['a', 'b']|map('upper')|first }})~~~",
                R"~~~({})~~~",
                R"~~~(xyA)~~~");
}

TEST(ToJson, NestedIndentString) {
  expect_render(R"~~~({{ d|tojson(indent='	') }})~~~",
                R"~~~({"d": {"a": [1, {"b": null}]}})~~~",
                R"~~~({
	"a": [
		1,
		{
			"b": null
		}
	]
})~~~");
}

TEST(ToJson, FloatsAndSpecial) {
  expect_render(R"~~~({{ [1.0, 0.1, 1e-7, 1e22, -0.0, 3.14]|tojson }})~~~",
                R"~~~({})~~~",
                R"~~~([1.0, 0.1, 1e-07, 1e+22, -0.0, 3.14])~~~");
}

TEST(StrMethods, MethodOnUndefinedAttribute) {
  expect_render(R"~~~({{ (m.content or '').strip() }}|{{ m.get('content', 'none').upper() }})~~~",
                R"~~~({"m": {"role": "x"}})~~~",
                R"~~~(|NONE)~~~");
}

TEST(StrMethods, ChainedMethods) {
  expect_render(R"~~~({{ ' A,b ,C '.strip().lower().split(',')|map('trim')|join('|') }})~~~",
                R"~~~({})~~~",
                R"~~~(a|b|c)~~~");
}

TEST(Undefined, ChainOnDefinedDictMissingKey) {
  expect_render(R"~~~({{ m.a is defined }}{{ m['a'] is defined }}{{ (m.a or 'fallback') }}{{ m.a|default('d') }})~~~",
                R"~~~({"m": {}})~~~",
                R"~~~(FalseFalsefallbackd)~~~");
}

TEST(Undefined, UndefinedInList) {
  expect_render(R"~~~({{ [nothing] }}{{ [nothing]|length }})~~~",
                R"~~~({})~~~",
                R"~~~([Undefined]1)~~~");
}
