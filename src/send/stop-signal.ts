// How a run stops on Ctrl-C or SIGTERM (ctx.signal): reading, batching, backoff and rate-limit pauses
// stop at once; a request already on its way gets a short grace to bring back its acknowledgement
// (so its rows count as synced), then it is cut too. The whole stop stays well under 5 seconds.
import { setMaxListeners } from 'node:events';

export const ACKNOWLEDGEMENT_GRACE_MS = 2_000;

/** For the write calls of a run: aborts `graceMs` after `stop` does. */
export function requestSignal(stop: AbortSignal, graceMs = ACKNOWLEDGEMENT_GRACE_MS): AbortSignal {
  const later = new AbortController();
  setMaxListeners(0, later.signal); // one listener per request in flight: not a leak
  const cut = () => setTimeout(() => later.abort(stop.reason), graceMs).unref();
  if (stop.aborted) cut();
  else stop.addEventListener('abort', cut, { once: true });
  return later.signal;
}
