// The requests waiting in one lane, by client (the jobs of `pinsync run` share one limiter): each
// client's first in, first out, and each slot to the next client in turn that has one waiting, so a
// job with many batches waiting does not starve one with a few.

export interface Waiter {
  /** Epoch ms the call's retry window ends (Infinity: none). */
  deadline: number;
  grant(): void;
  fail(reason: unknown): void;
}

export class Turns {
  /** Waiting requests by client, each first in, first out; a client without any has no entry. */
  private readonly waiting = new Map<number, Waiter[]>();
  private lastServed = -1;

  get isEmpty(): boolean {
    return this.waiting.size === 0;
  }

  add(client: number, waiter: Waiter): void {
    const queue = this.waiting.get(client) ?? [];
    queue.push(waiter);
    this.waiting.set(client, queue);
  }

  /** The first waiter of the next client after the one served last (clients in the order they opened). */
  next(): Waiter | undefined {
    const clients = [...this.waiting.keys()].sort((a, b) => a - b);
    const client = clients.find((id) => id > this.lastServed) ?? clients[0];
    if (client === undefined) return undefined;
    this.lastServed = client;
    const queue = this.waiting.get(client)!;
    const waiter = queue.shift()!;
    if (queue.length === 0) this.waiting.delete(client);
    return waiter;
  }

  leave(client: number, waiter: Waiter): void {
    this.remove(client, (w) => w === waiter);
  }

  /** Takes out this client's waiters whose deadline `stops`, and returns them. */
  cut(client: number, stops: (deadline: number) => boolean): Waiter[] {
    return this.remove(client, (waiter) => stops(waiter.deadline));
  }

  private remove(client: number, which: (waiter: Waiter) => boolean): Waiter[] {
    const queue = this.waiting.get(client) ?? [];
    const removed = queue.filter(which);
    const kept = queue.filter((waiter) => !which(waiter));
    if (kept.length > 0) this.waiting.set(client, kept);
    else this.waiting.delete(client);
    return removed;
  }
}
