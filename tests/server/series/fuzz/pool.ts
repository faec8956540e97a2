/**
 * A small pool of worker threads for the fuzz test: each request runs in a worker under a time
 * limit; a worker that hangs is terminated and replaced, one that dies is reported as a crash.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FuzzReply, FuzzRequest } from './protocol';

export type Outcome = FuzzReply | { id: number; kind: 'timeout' } | { id: number; kind: 'crash'; message: string };

interface Task {
  req: FuzzRequest;
  resolve(o: Outcome): void;
}

const ENTRY = path.join(__dirname, 'worker.js');

class Slot {
  private worker!: Worker;
  private ready!: Promise<void>;
  private current: { task: Task; timer: NodeJS.Timeout } | undefined;
  private closing = false;

  constructor(
    private readonly timeoutMs: number,
    private readonly onIdle: (slot: Slot) => void,
  ) {
    this.spawn();
  }

  /** Starts a worker and waits for its first answer (module loading is not timed against a case). */
  private spawn(): void {
    const w = new Worker(ENTRY);
    this.worker = w;
    this.ready = new Promise((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
      w.postMessage({ id: -1, files: [] } satisfies FuzzRequest);
    });
    w.on('message', (reply: FuzzReply) => {
      if (reply.id >= 0 && this.current && this.current.task.req.id === reply.id) this.finish(reply);
    });
    // A worker that dies between cases is replaced too, so the next case does not wait on a dead one.
    const died = (message: string): void => {
      if (this.worker !== w || this.closing) return;
      if (this.current) this.replace({ id: this.current.task.req.id, kind: 'crash', message });
      else this.spawn();
    };
    w.on('error', (err) => died(String(err)));
    w.on('exit', (code) => died(`worker exited with ${code}`));
  }

  async whenReady(): Promise<void> {
    await this.ready;
  }

  async run(task: Task): Promise<void> {
    await this.ready;
    const timer = setTimeout(() => this.replace({ id: task.req.id, kind: 'timeout' }), this.timeoutMs);
    this.current = { task, timer };
    this.worker.postMessage(task.req, task.req.files.map((f) => f.data));
  }

  private finish(outcome: Outcome): void {
    const cur = this.current;
    if (!cur) return;
    clearTimeout(cur.timer);
    this.current = undefined;
    cur.task.resolve(outcome);
    this.onIdle(this);
  }

  private replace(outcome: Outcome): void {
    const old = this.worker;
    this.spawn();
    void old.terminate();
    this.finish(outcome);
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }
}

export class WorkerPool {
  private readonly slots: Slot[];
  private readonly idle: Slot[] = [];
  private readonly queue: Task[] = [];

  constructor(size: number, timeoutMs: number) {
    this.slots = Array.from({ length: size }, () => new Slot(timeoutMs, (s) => this.release(s)));
    this.idle.push(...this.slots);
  }

  async ready(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.whenReady()));
  }

  run(req: FuzzRequest): Promise<Outcome> {
    return new Promise((resolve) => {
      this.queue.push({ req, resolve });
      this.dispatch();
    });
  }

  private release(slot: Slot): void {
    this.idle.push(slot);
    this.dispatch();
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const slot = this.idle.shift() as Slot;
      void slot.run(this.queue.shift() as Task);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.close()));
  }
}
