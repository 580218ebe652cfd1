/** How one invocation ended, as Lambda's event source mapping would judge it. */
export type InvokeOutcome = 'success' | 'partial' | 'error' | 'timeout' | 'invalid-response';

/**
 * Lambda's verdict on a handler's return value (AWS docs, "Implementing partial batch responses"):
 * nothing, null or an empty/absent `batchItemFailures` is full success; an identifier that is empty,
 * not a string, or not in the batch makes the whole batch fail.
 */
export function judgeResponse(
  result: unknown,
  messageIds: readonly string[],
): { outcome: InvokeOutcome; failedIds: string[] } {
  if (result === undefined || result === null) return { outcome: 'success', failedIds: [] };
  if (typeof result !== 'object') return { outcome: 'invalid-response', failedIds: [...messageIds] };
  const failures: unknown = (result as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { outcome: 'success', failedIds: [] };
  if (!Array.isArray(failures)) return { outcome: 'invalid-response', failedIds: [...messageIds] };
  const inBatch = new Set(messageIds);
  const failedIds: string[] = [];
  for (const item of failures) {
    const id: unknown =
      typeof item === 'object' && item !== null ? (item as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof id !== 'string' || id === '' || !inBatch.has(id)) {
      return { outcome: 'invalid-response', failedIds: [...messageIds] };
    }
    if (!failedIds.includes(id)) failedIds.push(id);
  }
  return { outcome: failedIds.length === 0 ? 'success' : 'partial', failedIds };
}
