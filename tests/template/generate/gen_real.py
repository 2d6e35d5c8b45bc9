import json, sys
sys.path.insert(0, __import__('os').path.dirname(__import__('os').path.abspath(__file__)))
from env import env
from convs import CONVS, PAIRS
D = __import__('os').path.join(__import__('os').path.dirname(__import__('os').path.abspath(__file__)), '..', 'data')
for name, conv in CONVS.items():
    json.dump(conv, open(f'{D}/{name}.json', 'w'), ensure_ascii=False, indent=1)
for tpl, conv in PAIRS:
    src = open(f'{D}/{tpl}.jinja').read()
    try:
        out = env.from_string(src).render(**CONVS[conv])
    except Exception as e:
        out = "ERROR: " + str(e)
    open(f'{D}/{tpl}.{conv}.expected', 'w').write(out)
    print(tpl, conv, len(out), out[:60].replace('\n','\\n'))
