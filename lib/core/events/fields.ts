/** Lenient readers for event `data`: the payloads vary by service, so fields are read one at a time. */

/** The value as a JSON object, or undefined for anything else (arrays included). */
export function asRecord(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The value if it is a non-empty string. */
export function asString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** An own property of a JSON object; never reads the prototype, so `__proto__` in input is inert. */
export function field(value: unknown, key: string): unknown {
  const record = asRecord(value);
  return record && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** The strings at a dotted path (`InstanceIdSets.InstanceIdSet`): one string or an array of them. */
export function stringsAt(root: unknown, path: string): string[] {
  let value = root;
  for (const key of path.split('.')) value = field(value, key);
  return stringsOf(value);
}

/**
 * A request parameter's strings: `Name` itself (a string or an array) plus the RPC list form `Name.1`,
 * `Name.2`, … in which ActionTrail records repeated parameters.
 */
export function paramStrings(params: unknown, name: string): string[] {
  const record = asRecord(params);
  if (!record) return [];
  const listed = Object.keys(record)
    .filter((key) => key.startsWith(`${name}.`) && /^\d+$/.test(key.slice(name.length + 1)))
    .sort((a, b) => Number(a.slice(name.length + 1)) - Number(b.slice(name.length + 1)))
    .flatMap((key) => stringsOf(record[key]));
  return [...stringsOf(field(record, name)), ...listed];
}

/** One non-empty string, or the non-empty strings of an array; nothing for any other value. */
export function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (!Array.isArray(value)) return [];
  return value.filter((item): item is string => typeof item === 'string' && item !== '');
}
