/** Reads YAML (or JSON) text into a plain value, with every syntax problem located by path and line:column. */
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type YAMLError } from 'yaml';
import { messageOf, type ValidationIssue } from '../errors.ts';
import { formatPath } from '../manifest/issues.ts';

/** The result of {@link readYaml}: a value when `issues` is empty, and a way to point at any data path. */
export interface YamlSource {
  readonly value: unknown;
  readonly issues: readonly ValidationIssue[];
  /** `name:line:column` of the field or item at a data path (its nearest existing ancestor if absent). */
  locate(path: readonly PropertyKey[]): string;
}

type Segment = string | number;

function within(node: unknown, offset: number): boolean {
  return isNode(node) && node.range != null && node.range[0] <= offset && offset < node.range[2];
}

function endOf(node: unknown, fallback: number): number {
  return isNode(node) && node.range ? node.range[2] : fallback;
}

function keyName(key: unknown): string | undefined {
  return isScalar(key) ? String(key.value) : undefined;
}

/** The data path of the deepest field or item whose text holds `offset`; a key's own offset names its field. */
function pathAt(node: unknown, offset: number, path: Segment[] = []): Segment[] {
  if (isMap(node)) {
    for (const pair of node.items) {
      const name = keyName(pair.key);
      if (name === undefined) continue;
      if (within(pair.value, offset)) return pathAt(pair.value, offset, [...path, name]);
      // On the key, or between key and value (the colon, a tag, an anchor): the field itself.
      if (
        isNode(pair.key) &&
        pair.key.range &&
        pair.key.range[0] <= offset &&
        offset < endOf(pair.value, pair.key.range[2])
      ) {
        return [...path, name];
      }
    }
  } else if (isSeq(node)) {
    const index = node.items.findIndex((item) => within(item, offset));
    if (index >= 0) return pathAt(node.items[index], offset, [...path, index]);
  }
  return path;
}

/** Start offset of the key (for a field) or item at `path`, or of its nearest existing ancestor. */
function offsetOf(root: unknown, path: readonly PropertyKey[]): number {
  let node = root;
  let offset = isNode(root) && root.range ? root.range[0] : 0;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => keyName(p.key) === String(segment));
      if (pair === undefined) break;
      if (isNode(pair.key) && pair.key.range) offset = pair.key.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (!isNode(item)) break;
      if (item.range) offset = item.range[0];
      node = item;
    } else break;
  }
  return offset;
}

function reasonOf(error: YAMLError): string {
  if (error.code === 'DUPLICATE_KEY') return 'duplicate key: each field may appear only once';
  // Keep the library's first line only; it is precise, and the location is added by the caller.
  return `YAML error (${error.code}): ${error.message.split('\n')[0]}`;
}

/**
 * Parses one YAML 1.2 document (JSON is valid YAML). Duplicate keys, unknown tags (`!foo`) and several
 * documents in one file are errors: a policy must mean exactly one thing.
 */
export function readYaml(text: string, sourceName: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, schema: 'core' });
  const where = (offset: number): string => {
    const { line, col } = lineCounter.linePos(offset);
    return `${sourceName}:${line}:${col}`;
  };
  const locate = (path: readonly PropertyKey[]): string => where(offsetOf(doc.contents, path));
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    const issues = problems.map((e) => ({
      path: formatPath(pathAt(doc.contents, e.pos[0])),
      reason: `${reasonOf(e)} (${where(e.pos[0])})`,
    }));
    return { value: undefined, issues, locate };
  }
  try {
    return { value: doc.toJS(), issues: [], locate };
  } catch (error) {
    // Unresolved or excessive aliases only show up when the document is turned into values.
    return { value: undefined, issues: [{ path: '', reason: `YAML error: ${messageOf(error)}` }], locate };
  }
}
