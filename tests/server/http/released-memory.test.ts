import { ReleasedMemory } from '../../../server/http/released-memory';

describe('released memory', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function setup(maxBytes = 1000): { memory: ReleasedMemory; collections: () => number; setLoading: (v: boolean) => void } {
    let loading = false;
    let n = 0;
    const memory = new ReleasedMemory({ maxBytes, loading: () => loading, collect: () => n++, idleMs: 500 });
    return { memory, collections: () => n, setLoading: (v) => (loading = v) };
  }

  it('collects what was let go once no series has loaded for a while, once for all of it', () => {
    const { memory, collections, setLoading } = setup();
    setLoading(true);
    memory.add(300);
    memory.add(300);
    jest.advanceTimersByTime(2000);
    expect(collections()).toBe(0);
    expect(memory.waiting).toBe(600);
    setLoading(false);
    memory.idle();
    jest.advanceTimersByTime(400);
    expect(collections()).toBe(0);
    jest.advanceTimersByTime(100);
    expect(collections()).toBe(1);
    expect(memory.waiting).toBe(0);
    memory.idle();
    jest.advanceTimersByTime(2000);
    expect(collections()).toBe(1);
  });

  it('does not collect when a load starts before the quiet time is over', () => {
    const { memory, collections, setLoading } = setup();
    memory.add(300);
    jest.advanceTimersByTime(300);
    setLoading(true);
    jest.advanceTimersByTime(1000);
    expect(collections()).toBe(0);
    setLoading(false);
    memory.idle();
    jest.advanceTimersByTime(500);
    expect(collections()).toBe(1);
  });

  it('collects at once, loads or not, once what waits reaches its bound', () => {
    const { memory, collections, setLoading } = setup(1000);
    setLoading(true);
    memory.add(600);
    expect(collections()).toBe(0);
    memory.add(400);
    expect(collections()).toBe(1);
    expect(memory.waiting).toBe(0);
    jest.advanceTimersByTime(2000);
    expect(collections()).toBe(1);
  });
});
