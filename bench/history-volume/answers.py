#!/usr/bin/env python3
"""Writes N distinct (request, response) pairs as CSV: chat requests of 120-400 characters of prose,
OpenAI chat.completion answers of 700-1,700 characters (1.0-2.1 KB of JSON), words drawn from the
project's own docs (English-like text, compressible like real answers)."""
import csv, glob, json, os, random, re, sys, uuid

root = os.path.join(os.path.dirname(__file__), "..", "..")
words = []
for f in glob.glob(os.path.join(root, "docs", "*.md")) + [os.path.join(root, "README.md")]:
    words += re.findall(r"[A-Za-z][a-z]{1,12}", open(f).read())
random.seed(7)

def text(n):
    out, size = [], 0
    while size < n:
        w = random.choice(words)
        out.append(w)
        size += len(w) + 1
    return " ".join(out)

count = int(sys.argv[1])
out = csv.writer(sys.stdout)
for i in range(count):
    request = {"model": "gpt-4o", "temperature": 0.2, "messages": [
        {"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": text(random.randint(120, 400))}]}
    response = {"id": "chatcmpl-" + uuid.uuid4().hex[:24], "object": "chat.completion", "created": 1764000000 + i,
                "model": "gpt-4o-2024-08-06", "choices": [{"index": 0, "message": {"role": "assistant",
                "content": text(random.randint(700, 1700)), "refusal": None}, "logprobs": None, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": random.randint(30, 120), "completion_tokens": random.randint(150, 400), "total_tokens": 500},
                "system_fingerprint": "fp_" + uuid.uuid4().hex[:10]}
    out.writerow([i, json.dumps(request, separators=(",", ":")), json.dumps(response, separators=(",", ":"))])
