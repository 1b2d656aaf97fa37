// Waiting on a condition instead of a fixed sleep: a test under load waits as long as it must, no longer.

/** Resolves once `condition()` holds; rejects after `timeoutMs`, naming what it waited for. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > giveUpAt) throw new Error(`gave up after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
