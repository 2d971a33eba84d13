#!/usr/bin/env python3
"""Check every relative link in README.md and docs/*.md: the file exists,
and a #fragment names a heading of the target (GitHub's slugs)."""
import glob, os, re, sys
root = sys.argv[1]
files = [os.path.join(root, 'README.md')] + sorted(glob.glob(os.path.join(root, 'docs', '*.md')))
link = re.compile(r'!?\[[^\]]*\]\(([^)\s]+)\)')
def slugs(path):
    out, seen = set(), {}
    in_code = False
    for line in open(path, encoding='utf-8'):
        if line.startswith('```'):
            in_code = not in_code
        if in_code or not line.startswith('#'):
            continue
        text = line.lstrip('#').strip()
        s = re.sub(r'[^\w\- ]', '', text.lower()).replace(' ', '-')
        n = seen.get(s, 0); seen[s] = n + 1
        out.add(s if n == 0 else f'{s}-{n}')
    return out
bad = 0; count = 0
for f in files:
    text = open(f, encoding='utf-8').read()
    text = re.sub(r'```.*?```', '', text, flags=re.S)
    text = re.sub(r'`[^`\n]*`', '', text)
    for m in link.finditer(text):
        target = m.group(1)
        if re.match(r'^[a-z]+:', target):
            continue
        count += 1
        path, _, frag = target.partition('#')
        full = os.path.normpath(os.path.join(os.path.dirname(f), path)) if path else f
        rel = os.path.relpath(f, root)
        if not os.path.exists(full):
            print(f'{rel}: {target}: no such file'); bad += 1; continue
        if frag and full.endswith('.md') and frag not in slugs(full):
            print(f'{rel}: {target}: no heading #{frag}'); bad += 1
print(f'{count} relative links in {len(files)} files, {bad} broken')
sys.exit(1 if bad else 0)
