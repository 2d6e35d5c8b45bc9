#!/usr/bin/env python3
"""Writes the tokenizer parity corpus: a JSON list of strings, deterministic, >= 2,000 entries.

Usage: make_corpus.py OUT.json [--seed N]

The corpus mixes hand-written hard cases with strings generated from seeded templates: many
scripts, emoji (ZWJ sequences, skin tones, flags, tag sequences, keycaps), combining marks,
whitespace runs (ASCII and Unicode spaces, \\n, \\r\\n), digits and long numbers, code, URLs,
contractions, special tokens of the four reference tokenizers inside text, mixed case, very long
words, the empty string, and single characters from every Unicode plane that has valid scalar
values. Only the generator is committed; the output is rebuilt by run_parity.sh.
Standard library only, so it runs with any python3.
"""
import argparse
import json
import random
import sys
import unicodedata

MIN_ENTRIES = 2000

# ---- building blocks ---------------------------------------------------------------------------

SCRIPTS = {
    "english": "The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs!",
    "french": "Où est la bibliothèque ? L'été dernier, nous étions à Besançon — c'était génial.",
    "german": "Größenwahn: Die Straße heißt „Über den Brücken“; Äpfel, Öl und Übermut.",
    "spanish": "¿Dónde está el niño? ¡Qué año tan extraño! Mañana comeremos paella.",
    "portuguese": "Não há nada como a canção do coração; às vezes é difícil, né?",
    "polish": "Zażółć gęślą jaźń. Chrząszcz brzmi w trzcinie w Szczebrzeszynie.",
    "czech": "Příliš žluťoučký kůň úpěl ďábelské ódy.",
    "turkish": "İstanbul'da ılık bir gün; Iğdır, ŞEKER, çiçek, öğrenci, İıĞğŞş.",
    "vietnamese": "Tiếng Việt có nhiều dấu: người, được, những, thưởng thức phở bò.",
    "icelandic": "Þú ert ðe besti; ævintýri á Íslandi eru æðisleg.",
    "romanian": "Șase școli și țări; înțelegere și împărțire.",
    "russian": "Съешь же ещё этих мягких французских булок, да выпей чаю. Ёлка!",
    "ukrainian": "Чуєш їх, доцю, га? Кумедна ж ти, прощайся без ґольфів!",
    "greek": "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία. Καλημέρα κόσμε! ΑΒΓΔ αβγδ ς",
    "armenian": "Բարեւ աշխարհ, ինչպե՞ս ես։",
    "georgian": "გამარჯობა მსოფლიო, როგორ ხარ?",
    "hebrew": "שלום עולם! זוהי בדיקה של טקסט מימין לשמאל עם ניקוד: שָׁלוֹם.",
    "arabic": "مرحبا بالعالم! هذا اختبار للنص العربي مع التشكيل: السَّلَامُ عَلَيْكُمْ ١٢٣.",
    "persian": "سلام دنیا، حال شما چطور است؟ ۱۲۳۴ گل‌ها",
    "urdu": "ہیلو دنیا، آپ کیسے ہیں؟",
    "hindi": "नमस्ते दुनिया! यह देवनागरी लिपि का परीक्षण है। क्षत्रिय, ज्ञान, श्री।",
    "bengali": "হ্যালো বিশ্ব! আমি বাংলায় গান গাই। ক্ষ্ম",
    "tamil": "வணக்கம் உலகம்! தமிழ் ஒரு செம்மொழி. க்ஷ ஸ்ரீ",
    "telugu": "హలో ప్రపంచం! తెలుగు భాష చాలా అందమైనది.",
    "kannada": "ನಮಸ್ಕಾರ ಪ್ರಪಂಚ! ಕನ್ನಡ ಭಾಷೆ.",
    "malayalam": "ഹലോ ലോകം! മലയാളം ഭാഷ. ൻ്റെ",
    "gujarati": "નમસ્તે વિશ્વ! ગુજરાતી ભાષા.",
    "punjabi": "ਸਤ ਸ੍ਰੀ ਅਕਾਲ ਦੁਨੀਆ! ਪੰਜਾਬੀ।",
    "sinhala": "ආයුබෝවන් ලෝකය! ශ්‍රී ලංකාව",
    "thai": "สวัสดีชาวโลก ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ กรุงเทพมหานคร",
    "lao": "ສະບາຍດີໂລກ ພາສາລາວ",
    "khmer": "សួស្តីពិភពលោក ភាសាខ្មែរ",
    "myanmar": "မင်္ဂလာပါ ကမ္ဘာလောက",
    "tibetan": "བཀྲ་ཤིས་བདེ་ལེགས། བོད་ཡིག",
    "mongolian": "ᠮᠣᠩᠭᠣᠯ ᠪᠢᠴᠢᠭ᠌ Монгол хэл",
    "ethiopic": "ሰላም ለዓለም! አማርኛ ቋንቋ።",
    "cherokee": "ᎣᏏᏲ ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ",
    "chinese_simplified": "你好，世界！这是一个中文分词测试：机器学习和自然语言处理。",
    "chinese_traditional": "你好，世界！這是繁體中文：機器學習與自然語言處理。",
    "japanese": "こんにちは世界！日本語のテキスト、カタカナ、ひらがな、漢字。ｶﾀｶﾅ半角。",
    "korean": "안녕하세요 세계! 한국어 텍스트입니다. 훈민정음 ㄱㄴㄷ",
    "yi": "ꆈꌠꁱꂷ ꀉꐚ",
    "inuktitut": "ᐊᐃᓐᖓᐃ ᓄᓇᕗᑦ",
    "runic_gothic": "ᚠᚢᚦᚨᚱᚲ 𐌰𐌱𐌲𐌳 𐍈𐌴𐌹𐍃",
    "math_alnum": "𝐀𝐁𝐂 𝑥𝑦𝑧 𝔄𝔅 𝕏𝕐 ∀x∈ℝ: x²≥0, ∑ᵢ aᵢ = ∫₀¹ f(t) dt ≈ π ≠ ∞",
    "cuneiform_egyptian": "𒀀𒀁𒀂 𓀀𓀁𓀂 𐀀𐀁",
    "cjk_ext_b": "𠀀𠀁𠀂 𪚥 𫝀 𬺰 𰀀",
}

EMOJI = [
    "😀", "😂", "🥲", "🤖", "🔥", "✨", "❤️", "♥", "✔️", "☑", "⭐", "🌍", "🎉", "🐍", "🦀", "🚀",
    "👍", "👍🏻", "👍🏼", "👍🏽", "👍🏾", "👍🏿", "👋🏽", "🧑🏿‍🦱",
    "👨‍👩‍👧‍👦", "👩‍❤️‍💋‍👨", "👩🏽‍💻", "🧑‍🚀", "👨🏻‍🔬", "🏳️‍🌈", "🏳️‍⚧️", "🏴‍☠️", "🐻‍❄️", "❤️‍🔥",
    "🇺🇸", "🇯🇵", "🇩🇪", "🇧🇷", "🇮🇳", "🇺🇦", "🇪🇺", "🇺🇳",
    "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "🏴󠁧󠁢󠁥󠁮󠁧󠁿", "🏴󠁧󠁢󠁷󠁬󠁳󠁿",
    "1️⃣", "#️⃣", "*️⃣", "©️", "®️", "™️", "↔️", "🅰️",
    "🫠", "🫶🏾", "🪿", "🧌", "🩷",
]

COMBINING = [
    "e\u0301", "a\u0300", "o\u0308", "n\u0303", "c\u0327", "u\u030a", "i\u0302\u0323",
    "A\u030a", "\u212b", "\u2126", "\u00c5", "\u1e9b\u0323", "q\u0307\u0323", "\u0041\u0301\u0328",
    "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034dA\u036b\u0357\u0334\u0362\u0335\u031c\u0330\u0354L\u0368\u0367\u0369\u0358\u0320G\u0311\u0357\u030e\u0305\u035b\u0341\u0334\u033b\u0348\u034d\u0354\u0339O\u0342\u030c\u030c\u0358\u0328\u0335\u0339\u033b\u031d\u0333",
    "\u1100\u1161\u11a8", "\u1112\u1161\u11ab\u1100\u1173\u11af",  # conjoining Hangul jamo (NFC composes)
    "\u0915\u094d\u0937", "\u0e01\u0e34\u0e4d", "\u05e9\u05c1\u05b8",
    "\ufb01", "\ufb00", "\u00bd", "\u2460", "\u2163", "\uff21\uff22\uff23", "\u3392", "\u01c4",
    "\u0301", "\u0300\u0301\u0302", "\u20dd", "\u200d", "\u200c", "\u034f",
]

UNICODE_SPACES = ["\u00a0", "\u1680", "\u2000", "\u2001", "\u2002", "\u2003", "\u2004", "\u2005", "\u2006",
                  "\u2007", "\u2008", "\u2009", "\u200a", "\u202f", "\u205f", "\u3000", "\u0085",
                  "\u2028", "\u2029", "\u200b", "\ufeff", "\u180e", "\x0b", "\x0c"]
ASCII_SPACES = [" ", "  ", "   ", "\t", "\n", "\r\n", "\r", "\n\n", " \n", "\t\t", " \t "]

SPECIAL_TOKENS = [
    "<s>", "</s>", "<unk>", "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|start_header_id|>",
    "<|end_header_id|>", "<|reserved_special_token_0|>", "<|finetune_right_pad_id|>", "<|python_tag|>",
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<think>", "</think>", "<tool_call>", "</tool_call>",
    "<|vision_start|>", "<|fim_prefix|>", "<bos>", "<eos>", "<pad>", "<start_of_turn>", "<end_of_turn>",
    "<start_of_image>", "<mask>", "[multimodal]", "<unused0>", "<unused99>",
]
SPECIAL_LOOKALIKES = ["<|eot_id", "eot_id|>", "<| eot_id |>", "<s >", "< s>", "<<s>>", "<S>", "</ s>",
                      "<|IM_START|>", "<|im_start|", "<start_of_turn", "<START_OF_TURN>", "<bos", "<|>", "<>"]

CONTRACTIONS = ["I'm", "you're", "he's", "she'll", "we've", "they'd", "it's", "can't", "won't", "don't",
                "DON'T", "I'M", "You'Re", "WE'VE", "it'S", "y'all", "o'clock", "rock'n'roll", "'tis",
                "isn\u2019t", "we\u2019re", "l'homme", "aujourd'hui", "'s", "'t", "'re", "'ve", "'m", "'ll",
                "'d", "''", "'", "'''", "Jones'", "the '90s"]

WORDS = ("time person year way day thing man world life hand part child eye woman place work week case "
         "point government company number group problem fact be have do say get make go know take see "
         "come think look want give use find tell ask work seem feel try leave call good new first last "
         "long great little own other old right big high different small large next early young "
         "important few public bad same able tokenizer transformer gradient embedding attention "
         "checkpoint safetensors adapter learning rate").split()

CODE = [
    'def fib(n: int) -> int:\n    """Return the n-th Fibonacci number."""\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n',
    'import numpy as np\n\nx = np.arange(10)**2\nprint(f"{x.mean():.3f} {x!r}")  # comment\n',
    '#include <iostream>\n#include <vector>\n\nint main() {\n\tstd::vector<int> v{1, 2, 3};\n\tfor (auto& x : v) std::cout << x << \'\\n\';\n\treturn 0;\n}\n',
    'template <typename T>\nconstexpr auto sq(T&& x) noexcept -> decltype(x * x) { return x * x; }\n',
    'fn main() {\n    let v: Vec<u32> = (0..10).map(|x| x * 2).collect();\n    println!("{:?}", v);\n}\n',
    'impl<\'a, T: Clone + Send> Iterator for Foo<\'a, T> { type Item = &\'a T; }\n',
    'const add = (a, b) => a + b;\nconsole.log(`sum=${add(1, 2)}`);\nlet o = {a: 1, "b": [2, 3], c: null};\n',
    'async function f() { try { await fetch("/api?x=1&y=2"); } catch (e) { console.error(e); } }\n',
    'package main\n\nimport "fmt"\n\nfunc main() {\n\tch := make(chan int, 3)\n\tgo func() { ch <- 42 }()\n\tfmt.Println(<-ch)\n}\n',
    'SELECT u.id, COUNT(*) AS n FROM users u LEFT JOIN orders o ON o.user_id = u.id WHERE u.created_at >= \'2024-01-01\' GROUP BY u.id HAVING n > 5 ORDER BY n DESC;\n',
    '#!/usr/bin/env bash\nset -euo pipefail\nfor f in "$@"; do\n  [[ -f "$f" ]] && echo "${f##*/}" | tr a-z A-Z\ndone 2>&1 | tee /tmp/log.txt\n',
    '<!DOCTYPE html>\n<html lang="en">\n  <head><meta charset="utf-8"><title>Test &amp; more</title></head>\n  <body><p class="x">Hello&nbsp;<b>world</b></p></body>\n</html>\n',
    '{"name": "ftcore", "version": "0.1.0", "deps": {"torch": ">=1.13"}, "list": [1, 2.5, -3e10, true, null]}',
    'model:\n  name: llama\n  layers: 32\n  rope_scaling: {type: llama3, factor: 8.0}\nlist:\n  - a\n  - "b: c"\n',
    '\\begin{equation}\n  \\mathcal{L} = -\\sum_{i=1}^{N} \\log p_\\theta(x_i \\mid x_{<i})\n\\end{equation}\n',
    '^(?:[a-z0-9!#$%&\'*+/=?^_`{|}~-]+(?:\\.[a-z0-9!#$%&\'*+/=?^_`{|}~-]+)*)@(?:[a-z0-9-]+\\.)+[a-z]{2,}$',
    'public class Main {\n    public static void main(String[] args) {\n        System.out.println("Hello, " + args[0]);\n    }\n}\n',
    'object Main extends App { val xs = List(1,2,3).map(_ * 2); println(xs.mkString(",")) }\n',
    '(defun fact (n) (if (<= n 1) 1 (* n (fact (- n 1)))))\n',
    'main :: IO ()\nmain = mapM_ print [x * y | x <- [1..3], y <- [1..3], x /= y]\n',
    '    if x == 1:\n        pass\n    elif x != 2 and not y:\n        raise ValueError("bad")\n',
    'diff --git a/f.py b/f.py\n@@ -1,3 +1,4 @@\n-old line\n+new line\n+another\n context\n',
    'x += 1; y -= 2; z *= 3; w /= 4; a <<= 1; b >>= 2; c &&= d; e ||= f; g ??= h; i **= 2; j //= 3;',
    '$ pip install "transformers==4.46.3" && python -c \'import transformers; print(transformers.__version__)\'',
    '// C99\n#define MAX(a,b) ((a)>(b)?(a):(b))\nstatic const char *s = "tab\\there\\nnewline";\n',
]

URLS = [
    "https://huggingface.co/meta-llama/Llama-2-7b-hf/resolve/main/tokenizer.json?download=true",
    "http://example.com", "https://例え.jp/パス?q=値#frag", "ftp://user:pa%40ss@ftp.example.org:2121/pub/file.tar.gz",
    "https://github.com/huggingface/tokenizers/blob/v0.20.3/tokenizers/src/models/bpe/model.rs#L120-L140",
    "mailto:first.last+tag@sub.example.co.uk", "www.google.com/search?q=byte+pair+encoding&hl=en",
    "file:///home/user/My%20Documents/report%202024.pdf", "C:\\Users\\Admin\\AppData\\Local\\Temp\\x.log",
    "/usr/lib/x86_64-linux-gnu/libtorch_cpu.so.1.13", "~/.cache/huggingface/hub/models--x--y/snapshots/abc123",
    "https://en.wikipedia.org/wiki/Unicode_equivalence#Normal_forms", "data:text/plain;base64,SGVsbG8sIFdvcmxkIQ==",
    "https://[2001:db8::1]:8080/path", "192.168.0.1:443", "user@example.com", "@handle #hashtag $TICKER",
]


def plane_samples(rng):
    """Single characters from every plane with valid scalar values: boundaries plus seeded picks."""
    fixed = [0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1F, 0x20, 0x21, 0x41, 0x7E, 0x7F, 0x80, 0x9F, 0xA0, 0xAD,
             0xFF, 0x100, 0x2FF, 0x300, 0x370, 0x7FF, 0x800, 0xFFF, 0x1000, 0x3000, 0x4E00, 0x9FFF,
             0xAC00, 0xD7A3, 0xD7FF, 0xE000, 0xF8FF, 0xF900, 0xFB01, 0xFDD0, 0xFE0F, 0xFEFF, 0xFF01,
             0xFFFD, 0xFFFE, 0xFFFF, 0x10000, 0x1D400, 0x1F600, 0x1FFFD, 0x1FFFF, 0x20000, 0x2A6D6,
             0x2FFFF, 0x30000, 0x3134A, 0x3FFFF, 0x4FFFF, 0x8FFFF, 0xDFFFF, 0xE0001, 0xE0041, 0xE007F,
             0xE0100, 0xE01EF, 0xEFFFF, 0xF0000, 0xFFFFD, 0x100000, 0x10FFFD, 0x10FFFF]
    out = [chr(c) for c in fixed]
    # Seeded picks: the BMP weighted (it is where text lives), then every other plane.
    ranges = [(0x0000, 0xD7FF, 160), (0xE000, 0xFFFF, 30), (0x10000, 0x1FFFF, 80), (0x20000, 0x2FFFF, 25),
              (0x30000, 0x3FFFF, 10), (0x40000, 0xDFFFF, 10), (0xE0000, 0xEFFFF, 10), (0xF0000, 0x10FFFF, 10)]
    for lo, hi, n in ranges:
        for _ in range(n):
            out.append(chr(rng.randint(lo, hi)))
    # Assigned letters/symbols of many categories, found via unicodedata (deterministic scan).
    by_cat = {}
    for cp in range(0x80, 0x20000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        cat = unicodedata.category(chr(cp))
        by_cat.setdefault(cat, []).append(cp)
    for cat in sorted(by_cat):
        cps = by_cat[cat]
        for cp in rng.sample(cps, min(4, len(cps))):
            out.append(chr(cp))
    return out


def random_word(rng, alphabet, lo=1, hi=12):
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))


def number(rng):
    kind = rng.randrange(10)
    if kind == 0:
        return str(rng.randint(0, 9))
    if kind == 1:
        return str(rng.randint(10, 10**rng.randint(2, 40)))
    if kind == 2:
        return f"{rng.uniform(-1e6, 1e6):.{rng.randint(0, 8)}f}"
    if kind == 3:
        return f"{rng.randint(1, 999):,}" + "," + f"{rng.randint(0, 999):03d}" * rng.randint(1, 4)
    if kind == 4:
        return f"{rng.uniform(0, 10):.3e}"
    if kind == 5:
        return f"+1 ({rng.randint(200, 999)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"
    if kind == 6:
        return f"{rng.randint(1900, 2100)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"
    if kind == 7:
        return "".join(chr(0x0660 + int(d)) for d in str(rng.randint(0, 10**8)))  # Arabic-Indic digits
    if kind == 8:
        return "".join(chr(0xFF10 + int(d)) for d in str(rng.randint(0, 10**6)))  # full-width digits
    return "0x" + "".join(rng.choice("0123456789abcdefABCDEF") for _ in range(rng.randint(1, 32)))


def whitespace(rng):
    kind = rng.randrange(5)
    if kind == 0:
        return " " * rng.randint(1, 24)
    if kind == 1:
        return "".join(rng.choice(ASCII_SPACES) for _ in range(rng.randint(1, 5)))
    if kind == 2:
        return rng.choice(UNICODE_SPACES) * rng.randint(1, 3)
    if kind == 3:
        return "\t" * rng.randint(1, 6)
    return "".join(rng.choice(ASCII_SPACES + UNICODE_SPACES) for _ in range(rng.randint(1, 6)))


def mixed_case(rng, word):
    style = rng.randrange(5)
    if style == 0:
        return word.upper()
    if style == 1:
        return word.capitalize()
    if style == 2:
        return "".join(c.upper() if rng.random() < 0.5 else c for c in word)
    if style == 3:
        return word
    return word[:1].lower() + "".join(w.capitalize() for w in word[1:].split()) if word else word


def sentence(rng):
    """A seeded sentence mixing every kind of piece."""
    parts = []
    for _ in range(rng.randint(1, 14)):
        r = rng.random()
        if r < 0.35:
            parts.append(mixed_case(rng, rng.choice(WORDS)))
        elif r < 0.45:
            words = rng.choice(list(SCRIPTS.values())).split()
            parts.append(words[rng.randrange(len(words))])
        elif r < 0.52:
            parts.append(number(rng))
        elif r < 0.58:
            parts.append(rng.choice(EMOJI))
        elif r < 0.63:
            parts.append(rng.choice(CONTRACTIONS))
        elif r < 0.68:
            parts.append(rng.choice(SPECIAL_TOKENS + SPECIAL_LOOKALIKES))
        elif r < 0.72:
            parts.append(rng.choice(COMBINING))
        elif r < 0.76:
            parts.append(rng.choice(URLS))
        elif r < 0.82:
            parts.append(rng.choice(".,;:!?-—–…()[]{}\"'«»“”‘’/\\|@#$%^&*_+=<>~`"))
        else:
            parts.append(whitespace(rng))
    out = ""
    for p in parts:
        sep = rng.choice(["", " ", " ", " ", "  ", "\n", "\t"])
        out += sep + p if out else p
    return out


def hand_written():
    cases = [
        "", " ", "  ", "   ", "\t", "\n", "\r\n", "\r", "\n\n\n", " \n ", "\t\n\t", "a", "A", "0", ".", "'",
        "Hello", " Hello", "Hello ", "  Hello  ", "Hello world", "Hello  world", "Hello\tworld",
        "Hello\nworld", "Hello\r\nworld", "Hello\n\n\nworld", "hello\u00a0world", "hello\u3000world",
        "Hello, world!", "HELLO WORLD", "hElLo WoRlD", "camelCaseIdentifier", "snake_case_name",
        "SCREAMING_SNAKE_CASE", "kebab-case-name", "PascalCaseHTTPServer", "iPhone", "McDonald's", "O'Neil",
        "ﬁnance ﬂow", "½ ¼ ¾", "x² + y³ = z⁴", "H₂O", "Ⅻ ⅻ", "№ ℃ ℉ Ω Å K",
        "1", "12", "123", "1234", "12345", "123456", "1234567", "3.14159", "-42", "1e-10", "1,000,000",
        "00000000000000000000", "9" * 100, "3.141592653589793238462643383279502884197169399375105820974944",
        "2024-11-22 14:03:00", "v0.20.3", "4.46.3", "100%", "$1,234.56", "€99", "¥1000", "£5",
        "a" * 1000, "ab" * 700, " " * 500, "\n" * 300, "\t" * 200, "-" * 300, "=" * 80, "." * 50,
        "supercalifragilisticexpialidocious" * 30, "Pneumonoultramicroscopicsilicovolcanoconiosis",
        "Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz",
        "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch",
        "😀" * 200, "👨‍👩‍👧‍👦" * 50, "🇺🇸🇯🇵🇩🇪🇫🇷🇬🇧" * 20, "中" * 500, "한국어" * 200, "ا" * 300,
        "<s>", "</s>", "<s></s>", "<s><s>", " <s> ", "<unk>", "<s>hello</s>", "hello<s>world", "hello </s> world",
        "<|eot_id|>", "<|begin_of_text|>Hello<|eot_id|>", "text<|eot_id|>text", " <|eot_id|> ",
        "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>",
        "<|im_start|>", "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n", "a<|im_end|>b",
        "<|endoftext|>", "<think>\nreasoning\n</think>\n\nanswer", "<tool_call>\n{\"name\": \"f\"}\n</tool_call>",
        "<start_of_turn>", "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n", "<bos>", "<eos>",
        "<pad><pad><pad>", "<end_of_turn>", "<start_of_image>", "<mask>",
        "I'm", "I'M", "you're", "YOU'RE", "we've", "they'll", "she'd", "it's", "IT'S", "it'S", "don't",
        "won't", "can't", "y'all'd've", "'s", "'S", "'t", "'ll", "' s", "''s", "isn\u2019t", "l'homme",
        "The cat's toy's color's fine.", "'hello'", "\"quoted\"", "«guillemets»", "„Anführung“", "「括弧」",
        "e\u0301", "\u00e9", "e\u0301\u0301\u0301", "\u0301", "\u0301e", "Å", "\u212b", "A\u030a",
        "\u1100\u1161\u11a8", "\uac01", "\u0915\u094d\u0937", "\ufeffBOM at start", "zero\u200bwidth",
        "joiner\u200dhere", "non\u200cjoiner", "soft\u00adhyphen", "bidi\u202eoverride\u202c", "\u2066isolate\u2069",
        "tab\there", "vertical\x0btab", "form\x0cfeed", "nul\x00byte", "bell\x07", "esc\x1b[31mred\x1b[0m",
        "del\x7f", "c1\x85next line", "line\u2028separator", "para\u2029separator",
        "https://example.com/path?query=1&b=2#frag", "user@example.com", "C:\\path\\to\\file.txt",
        "👍", "👍🏽", "👩🏽‍💻", "🏳️‍🌈", "🇺🇸", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "1️⃣", "❤️", "♥️", "☺", "☺️",
        "𝐇𝐞𝐥𝐥𝐨", "𝓗𝓮𝓵𝓵𝓸", "Ｈｅｌｌｏ", "ʜᴇʟʟᴏ", "Hello\ufe0f", "\U0010ffff", "\U000e0001", "\U000f0000",
        "\ufffd", "\ufffe", "\uffff", "\ue000", "\U0001f600\U0001f600", "\U00020000",
        "    indented four", "\tindented tab", "trailing spaces   ", "trailing tab\t", "trailing newline\n",
        "\n leading newline", "multiple   spaces   between   words", "  \n  \n  ", " \t \n \r\n ",
        "end.", "end!!!", "what?!", "wait...", "wait…", "dash—em", "dash–en", "a-b", "a_b", "a.b", "a/b",
        "(parenthesised)", "[bracketed]", "{braced}", "<angled>", "<<double>>", "<</SYS>>", "[INST]", "[/INST]",
        "<<SYS>>\nYou are helpful.\n<</SYS>>\n\n", "[INST] Hello [/INST]", "### Instruction:\n", "Human: Hi\n\nAssistant:",
    ]
    for text in SCRIPTS.values():
        cases.append(text)
        cases.append(" " + text)
        cases.append(text.upper())
        cases.append(unicodedata.normalize("NFD", text))
        cases.append(unicodedata.normalize("NFKC", text))
    cases.extend(CODE)
    cases.extend(URLS)
    cases.extend(EMOJI)
    cases.extend(COMBINING)
    cases.extend(CONTRACTIONS)
    cases.extend(SPECIAL_TOKENS)
    cases.extend(SPECIAL_LOOKALIKES)
    for sp in UNICODE_SPACES:
        cases.append(sp)
        cases.append("a" + sp + "b")
        cases.append(sp * 3 + "x")
    for n in range(1, 33):
        cases.append(" " * n + "x")
        cases.append("x" + " " * n + "y")
    for sp in ASCII_SPACES:
        cases.append("word" + sp)
        cases.append(sp + "word")
    return cases


def generated(rng):
    out = []
    scripts = list(SCRIPTS.values())
    latin = "abcdefghijklmnopqrstuvwxyz"
    for _ in range(900):
        out.append(sentence(rng))
    for _ in range(150):  # script mixes
        picks = rng.sample(scripts, rng.randint(2, 4))
        out.append(rng.choice([" ", "", "\n", " | "]).join(p[: rng.randint(5, len(p))] for p in picks))
    for _ in range(120):  # numbers in context
        out.append(f"{rng.choice(WORDS)} {number(rng)}{rng.choice(['', ' ', '.', ',', '%'])}{number(rng)}")
    for _ in range(100):  # whitespace runs around words
        out.append(whitespace(rng) + rng.choice(WORDS) + whitespace(rng) + rng.choice(WORDS) + whitespace(rng))
    for _ in range(100):  # emoji sequences and mixtures
        out.append("".join(rng.choice(EMOJI) + rng.choice(["", "", " ", "\u200d", "\ufe0f"])
                           for _ in range(rng.randint(1, 8))))
    for _ in range(80):  # code with indentation variants
        snippet = rng.choice(CODE)
        indent = rng.choice(["", "  ", "    ", "\t", "        "])
        out.append("\n".join(indent + line for line in snippet.split("\n")))
    for _ in range(60):  # special tokens glued to text
        tok = rng.choice(SPECIAL_TOKENS)
        out.append(rng.choice(["", " ", "x", "Hello", "\n"]) + tok + rng.choice(["", " ", "x", "world", "\n"])
                   + rng.choice(SPECIAL_TOKENS + [""]))
    for _ in range(60):  # long words
        out.append(random_word(rng, latin + latin.upper() + "0123456789", 50, 400))
    for _ in range(40):
        out.append(random_word(rng, "".join(chr(c) for c in range(0x4E00, 0x4E00 + 400)), 20, 300))
    for _ in range(40):  # combining stacks on random bases
        out.append("".join(rng.choice(latin) + "".join(chr(rng.randint(0x300, 0x36F)) for _ in range(rng.randint(0, 4)))
                           for _ in range(rng.randint(1, 10))))
    for _ in range(60):  # mixed case
        out.append(" ".join(mixed_case(rng, rng.choice(WORDS)) for _ in range(rng.randint(1, 8))))
    for _ in range(40):  # contractions in sentences
        out.append(" ".join(rng.choice(CONTRACTIONS + WORDS) for _ in range(rng.randint(2, 10))))
    for _ in range(30):  # URLs with noise
        out.append(rng.choice(["See ", "(", "<", "\"", ""]) + rng.choice(URLS) + rng.choice([".", ")", ">", "\"", " ok", ""]))
    return out


def build(seed):
    rng = random.Random(seed)
    seen = set()
    corpus = []
    for s in hand_written() + plane_samples(rng) + generated(rng):
        if s not in seen:
            seen.add(s)
            corpus.append(s)
    for s in corpus:  # every entry must be valid Unicode (no lone surrogates): it round-trips via UTF-8
        s.encode("utf-8")
    return corpus


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=20241122)
    args = parser.parse_args()
    corpus = build(args.seed)
    if len(corpus) < MIN_ENTRIES:
        sys.exit(f"make_corpus: only {len(corpus)} strings (need >= {MIN_ENTRIES})")
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(corpus, f, ensure_ascii=False, indent=0)
        f.write("\n")
    print(f"make_corpus: {len(corpus)} strings -> {args.out}")


if __name__ == "__main__":
    main()
