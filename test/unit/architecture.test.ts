import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** One import of a source file: where it points (repo-relative, or the package name) and how it loads. */
interface Import {
  readonly from: string;
  readonly specifier: string;
  /** Repo-relative path for a relative specifier; undefined for npm packages and node: builtins. */
  readonly target: string | undefined;
  readonly dynamic: boolean;
}

// `import ... from 'x'`, `import 'x'`, `export ... from 'x'`, at the start of a line (so comments and
// JSDoc never match); `[^}]*` lets a brace list span lines.
const STATIC_IMPORT =
  /^[ \t]*(?:import|export)\s+(?:type\s+)?(?:(?:[\w$]+\s*,?\s*)?(?:\{[^}]*\}|\*(?:\s+as\s+[\w$]+)?)?\s*from\s*)?['"]([^'"\n]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g;

function tsFiles(folder: string): string[] {
  const dir = join(ROOT, folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(folder, name).split('\\').join('/'))
    .sort();
}

function importsOf(file: string): Import[] {
  const source = readFileSync(join(ROOT, file), 'utf8');
  const toImport = (specifier: string, dynamic: boolean): Import => ({
    from: file,
    specifier,
    target: specifier.startsWith('.')
      ? relative(ROOT, resolve(ROOT, dirname(file), specifier))
          .split('\\')
          .join('/')
      : undefined,
    dynamic,
  });
  return [
    ...[...source.matchAll(STATIC_IMPORT)].map((m) => toImport(m[1] ?? '', false)),
    ...[...source.matchAll(DYNAMIC_IMPORT)].map((m) => toImport(m[1] ?? '', true)),
  ];
}

const show = (i: Import) => `${i.from} imports '${i.specifier}'${i.dynamic ? ' (dynamic)' : ''}`;
const within = (path: string | undefined, ...prefixes: string[]) =>
  path !== undefined && prefixes.some((p) => (p.endsWith('/') ? path.startsWith(p) : path === p));

/** Every file reached from `entry` through static imports of repo files, `entry` included. */
function staticClosure(entry: string): Map<string, Import | undefined> {
  const reachedVia = new Map<string, Import | undefined>([[entry, undefined]]);
  const queue = [entry];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    if (!file.endsWith('.ts') || !existsSync(join(ROOT, file))) continue;
    for (const i of importsOf(file)) {
      if (i.dynamic || i.target === undefined || reachedVia.has(i.target)) continue;
      reachedVia.set(i.target, i);
      queue.push(i.target);
    }
  }
  return reachedVia;
}

/** The chain of imports from an entry point to `file`, for a message that shows the way in. */
function chain(reachedVia: Map<string, Import | undefined>, file: string): string {
  const steps: string[] = [];
  for (let via = reachedVia.get(file); via !== undefined; via = reachedVia.get(via.from)) steps.unshift(show(via));
  return steps.join(' -> ');
}

const libImports = tsFiles('lib').flatMap(importsOf);

describe('architecture', () => {
  it('finds the source files and their imports (the scan itself works)', () => {
    // Assess
    expect(tsFiles('lib').length).toBeGreaterThan(20);
    expect(importsOf('handlers/cleanup.ts').some((i) => i.target === 'lib/lambda/batch.ts')).toBe(true);
  });

  it('keeps lib/core pure: it imports only lib/core, npm packages and node: builtins', () => {
    // Act
    const offending = libImports.filter(
      (i) => i.from.startsWith('lib/core/') && i.target !== undefined && !within(i.target, 'lib/core/'),
    );
    // Assess
    expect(offending.map(show)).toStrictEqual([]);
  });

  it('keeps lib/engine on the core: it imports only lib/core, lib/engine and the logger', () => {
    // Act
    const offending = libImports.filter(
      (i) =>
        i.from.startsWith('lib/engine/') &&
        i.target !== undefined &&
        !within(i.target, 'lib/core/', 'lib/engine/', 'lib/logger.ts'),
    );
    // Assess
    expect(offending.map(show)).toStrictEqual([]);
  });

  it('never lets lib/ import dev/, statically or dynamically', () => {
    // Act
    const offending = libImports.filter((i) => within(i.target, 'dev/'));
    // Assess
    expect(offending.map(show)).toStrictEqual([]);
  });

  it.each(['handlers/cli.ts', 'handlers/cleanup.ts', 'handlers/sweep.ts', 'handlers/ingest.ts', 'handlers/events.ts'])(
    'never reaches dev/ from %s through static imports',
    (entry) => {
      // Act
      const reachedVia = staticClosure(entry);
      const offending = [...reachedVia.keys()].filter((file) => within(file, 'dev/'));
      // Assess
      expect(offending.map((file) => chain(reachedVia, file))).toStrictEqual([]);
    },
  );
});
