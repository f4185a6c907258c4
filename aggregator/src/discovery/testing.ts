/** Test helpers for discovery (not shipped API). */
import type { DiscoveryLogger, TargetGroup } from './interface.js';

/** Polls `check` until it returns a value other than undefined/false, or fails after `ms`. */
export async function waitFor<T>(check: () => T | undefined | false, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Records emits and folds them into the current groups by source, as the manager does. */
export class EmitLog {
  readonly emits: TargetGroup[][] = [];
  readonly groups = new Map<string, TargetGroup>();
  readonly emit = (groups: TargetGroup[]): void => {
    this.emits.push(groups);
    for (const g of groups) {
      if (g.targets.length === 0) this.groups.delete(g.source);
      else this.groups.set(g.source, g);
    }
  };
  /** Every current target with its group's labels merged in (target labels win). */
  targets(): Record<string, string>[] {
    return [...this.groups.values()].flatMap((g) => g.targets.map((t) => ({ ...g.labels, ...t })));
  }
  addresses(): string[] {
    return this.targets().map((t) => t.__address__).sort();
  }
}

/** A logger that keeps what it is given. */
export class MemoryLogger implements DiscoveryLogger {
  readonly entries: { level: string; obj: object; msg?: string }[] = [];
  debug(obj: object, msg?: string) {
    this.entries.push({ level: 'debug', obj, msg });
  }
  info(obj: object, msg?: string) {
    this.entries.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg?: string) {
    this.entries.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg?: string) {
    this.entries.push({ level: 'error', obj, msg });
  }
  at(level: string): { obj: object; msg?: string }[] {
    return this.entries.filter((e) => e.level === level);
  }
}

/** An aedes broker on 127.0.0.1, port 0; returns its URL and the function that closes it. */
export async function startTestBroker(): Promise<{ url: string; close: () => Promise<void> }> {
  const { Aedes } = await import('aedes');
  const net = await import('node:net');
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = async () => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { url: `mqtt://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`, close };
}
