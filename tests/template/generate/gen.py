import json, sys
sys.path.insert(0, __import__('os').path.dirname(__import__('os').path.abspath(__file__)))
from env import env
from cases import CASES, ERRORS
def cstr(s):
    # C++ raw string literal with a delimiter that cannot occur
    return 'R"~~~(' + s + ')~~~"'
out = ['// Generated from cases rendered by Python jinja2 3.1.4 (ImmutableSandboxedEnvironment,', '// trim_blocks, lstrip_blocks, loopcontrols, transformers tojson): expected strings are jinja2 output.', '#include "template_test_util.hpp"', '']
for suite, name, tpl, vars in CASES:
    try:
        t = env.from_string(tpl); exp = t.render(**vars)
    except Exception as e:
        print("FAIL", name, e); continue

    out.append('TEST(%s, %s) {' % (suite, name))
    out.append('  expect_render(%s,\n                %s,\n                %s);' % (cstr(tpl), cstr(json.dumps(vars, ensure_ascii=False)), cstr(exp)))
    out.append('}\n')
open(sys.argv[1], 'w').write('\n'.join(out))
res = {}
for suite, name, tpl, vars in ERRORS:
    try:
        r = env.from_string(tpl).render(**vars); res[name] = ("OK", r)
    except Exception as e:
        res[name] = (type(e).__name__, str(e), getattr(e, 'lineno', None))
for k, v in res.items(): print(k, v)
