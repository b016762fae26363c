"""Prints the schema the service makes as SQL: the statements of Migrations.swift (argv[1]), in order, and its
schema_migrations rows. scripts/backup-test.sh (make backup-test) applies it to a throwaway PostgreSQL."""
import re, sys, textwrap

source = open(sys.argv[1]).read()
literal = re.compile(r'"""\n(.*?)\n\s*"""|"((?:[^"\\\n]|\\.)*)"', re.S)
statements = []
for match in literal.finditer(source):
    text = textwrap.dedent(match.group(1)) if match.group(1) is not None else match.group(2)
    if re.match(r'\s*(CREATE|ALTER|DROP)\b', text):
        statements.append(text.strip())
versions = re.findall(r'version:\s*(\d+),\s*name:\s*"([^"]*)"', source)
if not statements or not versions or not any('schema_migrations' in s for s in statements):
    sys.exit(f'{sys.argv[1]}: no migrations found; has its layout changed?')
print('\n'.join(s + ';' for s in statements))
for version, name in versions:
    print(f"INSERT INTO schema_migrations (version, name) VALUES ({version}, '{name}');")
