import json
basic = {"messages": [{"role": "system", "content": "You are a helpful assistant."},
                      {"role": "user", "content": "  Hello, who are you?  "},
                      {"role": "assistant", "content": "I am an assistant. Ünïcödé ✓ 日本語"},
                      {"role": "user", "content": "Tell me a joke."}],
         "add_generation_prompt": True, "bos_token": "<s>", "eos_token": "</s>"}
alternating = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
                            {"role": "user", "content": "Bye"}], "add_generation_prompt": False,
               "bos_token": "<s>", "eos_token": "</s>"}
tools = {"tools": [{"type": "function", "function": {"name": "get_weather", "description": "Get the weather – °C",
                     "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"}},
                                    "required": ["city"]}}}],
         "messages": [{"role": "system", "content": "Be brief."},
                      {"role": "user", "content": "Weather in Paris and Zürich?"},
                      {"role": "assistant", "content": "<think>\nNeed the tool.\n</think>\n\nLet me check.",
                       "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
                                      {"type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Zürich\"}"}}]},
                      {"role": "tool", "content": "{\"temp\": 21}"},
                      {"role": "tool", "content": "{\"temp\": 18}"},
                      {"role": "assistant", "content": "Paris 21°C, Zürich 18°C.", "reasoning_content": "Both fetched."},
                      {"role": "user", "content": "Thanks!"}],
         "add_generation_prompt": True, "enable_thinking": False, "bos_token": "", "eos_token": "<|im_end|>"}
reasoning = {"messages": [{"role": "user", "content": "2+2?"},
                          {"role": "assistant", "content": "<think>\nsimple\n</think>\n\n4"},
                          {"role": "user", "content": "3+3?"},
                          {"role": "assistant", "content": "<think>\nalso simple\n</think>\n\n6"}],
             "add_generation_prompt": False}
multimodal = {"messages": [{"role": "system", "content": [{"type": "text", "text": "Describe images."}]},
                           {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": " What is this? "}]},
                           {"role": "assistant", "content": [{"type": "text", "text": "A cat."}]},
                           {"role": "user", "content": "Thanks"}],
              "add_generation_prompt": True, "bos_token": "<bos>"}
bad_roles = {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}], "bos_token": "<bos>"}
CONVS = {"basic": basic, "alternating": alternating, "tools": tools, "reasoning": reasoning,
         "multimodal": multimodal, "bad_roles": bad_roles}
PAIRS = [("llama3", "basic"), ("llama3", "alternating"), ("qwen3", "basic"), ("qwen3", "tools"), ("qwen3", "reasoning"),
         ("gemma3", "alternating"), ("gemma3", "multimodal"), ("gemma3", "bad_roles"), ("mistral", "alternating"),
         ("mistral", "basic"), ("chatml_generation", "basic")]
