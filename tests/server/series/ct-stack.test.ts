import { MIN_CT_SLICES, requireCtStack } from '../../../server/series/ct-stack';
import { NotCtStackError } from '../../../server/series/errors';

describe('requireCtStack', () => {
  it('accepts a CT stack', () => {
    expect(() => requireCtStack({ modality: 'CT', slices: 133 })).not.toThrow();
  });

  it.each([
    [{ modality: 'MR', slices: 133 }, /MR series/],
    [{ modality: '', slices: 133 }, /unknown series/],
    [{ modality: 'CT', slices: MIN_CT_SLICES - 1 }, /at least 10 slices/],
  ])('rejects %o with a 422', (v, message) => {
    let err: unknown;
    try {
      requireCtStack(v);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotCtStackError);
    expect(err).toMatchObject({ code: 'NOT_CT_STACK', httpStatus: 422 });
    expect((err as Error).message).toMatch(message);
  });
});
